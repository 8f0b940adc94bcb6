// The small text files of the minimal image: /init (no systemd), busybox init's inittab,
// the agent launcher and the environment every command in the guest starts with.

/** The guest-side address whose port 3128 QEMU forwards to this sandbox's proxy listener. */
export const GUEST_PROXY_URL = 'http://10.0.2.100:3128';
export const GUEST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
export const GUEST_WORKSPACE = '/workspace';
/** The 9p mount tag the driver gives the workspace share. */
export const WORKSPACE_TAG = 'ws';

export function profileScript(): string {
  const vars: [string, string][] = [
    ['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOME', '/root'],
    ['LANG', 'C.UTF-8'],
    ['HTTP_PROXY', GUEST_PROXY_URL],
    ['HTTPS_PROXY', GUEST_PROXY_URL],
    ['http_proxy', GUEST_PROXY_URL],
    ['https_proxy', GUEST_PROXY_URL],
    ['NO_PROXY', 'localhost,127.0.0.1,::1'],
    ['no_proxy', 'localhost,127.0.0.1,::1'],
    ['SSL_CERT_FILE', GUEST_CA_BUNDLE],
    ['NODE_EXTRA_CA_CERTS', GUEST_CA_BUNDLE],
    ['REQUESTS_CA_BUNDLE', GUEST_CA_BUNDLE],
    ['GIT_SSL_CAINFO', GUEST_CA_BUNDLE],
    ['CURL_CA_BUNDLE', GUEST_CA_BUNDLE],
  ];
  return '# Written by the Warden image builder.\n' + vars.map(([k, v]) => `export ${k}=${v}\n`).join('');
}

/** /init: mounts, modules, network, workspace, then busybox init (which starts the agent). */
export function initScript(modules: string[]): string {
  return `#!/bin/sh
# Warden minimal guest init. PID 1 until it hands over to busybox init.
. /etc/profile.d/warden.sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
${modules.map((m) => `insmod /lib/modules/${m}.ko`).join('\n')}
[ -c /dev/hvc0 ] && exec </dev/null >/dev/hvc0 2>&1
echo "warden-init: modules loaded at $(cut -d' ' -f1 /proc/uptime)s"
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
ws=
for arg in $(cat /proc/cmdline); do
  case "$arg" in warden.ws=*) ws="\${arg#warden.ws=}" ;; esac
done
if [ -n "$ws" ]; then
  opts=trans=virtio,version=9p2000.L,msize=262144
  [ "$ws" = ro ] && opts="$opts,ro"
  mount -t 9p -o "$opts" ${WORKSPACE_TAG} ${GUEST_WORKSPACE} || echo "warden-init: workspace mount failed"
fi
exec /sbin/init
`;
}

export function inittab(): string {
  return `# busybox init: keep the Warden agent running on the console.
hvc0::respawn:/opt/warden/agent.sh
::shutdown:/bin/sync
`;
}

/** Starts the agent. Its own Node must not load the CA bundle (it exists only after setup). */
export function agentLauncher(): string {
  return `#!/bin/sh
. /etc/profile.d/warden.sh
cd /
export WARDEN_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"
unset NODE_EXTRA_CA_CERTS
exec /usr/bin/node /opt/warden/agent.js
`;
}

export const ETC_FILES: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  'etc/group': 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n',
  'etc/hosts': '127.0.0.1 localhost\n::1 localhost\n',
  'etc/hostname': 'warden\n',
  'etc/nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
  'etc/resolv.conf': '',
};
