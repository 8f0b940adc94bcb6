// `mobx-react` is the host's (7 on Freelens 1 and OpenLens, 10 on Freelens 2); the renderer
// uses only `observer` on function components, which both export as mobx-react-lite does.
// The root's mobx-react-lite supplies the type.

declare module 'mobx-react' {
  export { observer } from 'mobx-react-lite';
}
