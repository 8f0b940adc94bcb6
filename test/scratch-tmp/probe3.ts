import { parsePolicy } from '../../supervisor/policy/index.ts';

const broken = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: broken
spec:
  network:
    default: allow
    rules:
      - match: 127.0.0.1
        action: allow
       bad-indent: [unclosed
`;
const badRule = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: bad-rule
spec:
  network:
    default: allow
    rules:
      - match: blocked.test
        action: allow
      - match: "bad host!"
        action: maybe
        paths: ["no-slash"]
        colour: red
`;
for (const y of [broken, badRule, '{{{', '', 'just a string', '- a\n- b\n', 'apiVersion: [\n'])
  console.log(JSON.stringify(parsePolicy(y, '<t>'), null, 1).slice(0, 1500));
