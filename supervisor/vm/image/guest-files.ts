// The small text files of a guest image: the two stages of init (no systemd), busybox
// init's inittab, the agent launcher and the environment every command starts with.

/** The guest-side address whose port 3128 QEMU forwards to this sandbox's proxy listener. */
export const GUEST_PROXY_HOST = '10.0.2.100';
export const GUEST_PROXY_PORT = 3128;
/**
 * The proxy URL the image's profile sets when none is set, without a credential: the
 * listener refuses it (407). Each command gets its sandbox's URL with the credential from
 * the host instead, in the environment the control channel carries (sandboxes/guest-env.ts),
 * and a login shell it starts keeps that one.
 */
export const GUEST_PROXY_URL = `http://${GUEST_PROXY_HOST}:${GUEST_PROXY_PORT}`;
export const GUEST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
export const GUEST_WORKSPACE = '/workspace';
/** The 9p mount tag the driver gives the workspace share. */
export const WORKSPACE_TAG = 'ws';
/** The virtio serial of a sandbox's own disk, which stage 1 mounts as the writable layer. */
export const SANDBOX_DISK_SERIAL = 'warden-disk';
/** The 9p mount tag of the managed agents' folder ($WARDEN_HOME/agents), read-only, and where it is mounted. */
export const AGENTS_TAG = 'agents';
export const GUEST_AGENTS = '/opt/agents';
/** The per-project agent home (--agent-home): its 9p tag, where it is mounted, and the folders linked from $HOME. */
export const AGENT_HOME_TAG = 'home';
export const GUEST_AGENT_HOME = '/opt/warden-home';
export const AGENT_HOME_DIRS = ['.claude', '.codex'];

export const GUEST_SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * /etc/profile.d/warden.sh. A login shell inside the guest sources it again, so the proxy
 * variables are set only when unset: a command's own (credentialed) proxy URL survives.
 */
export function profileScript(): string {
  const keep: [string, string][] = [
    ['HTTP_PROXY', GUEST_PROXY_URL],
    ['HTTPS_PROXY', GUEST_PROXY_URL],
    ['http_proxy', GUEST_PROXY_URL],
    ['https_proxy', GUEST_PROXY_URL],
    ['NO_PROXY', 'localhost,127.0.0.1,::1'],
    ['no_proxy', 'localhost,127.0.0.1,::1'],
  ];
  const vars: [string, string][] = [
    // A sandbox's managed agents (WARDEN_AGENT_PATH, from the host) come first.
    ['PATH', `\${WARDEN_AGENT_PATH:+$WARDEN_AGENT_PATH:}${GUEST_SYSTEM_PATH}`],
    ['HOME', '/root'],
    ['LANG', 'C.UTF-8'],
    ['SSL_CERT_FILE', GUEST_CA_BUNDLE],
    ['NODE_EXTRA_CA_CERTS', GUEST_CA_BUNDLE],
    ['REQUESTS_CA_BUNDLE', GUEST_CA_BUNDLE],
    ['GIT_SSL_CAINFO', GUEST_CA_BUNDLE],
    ['CURL_CA_BUNDLE', GUEST_CA_BUNDLE],
  ];
  return (
    '# Written by the Warden image builder.\n' +
    vars.map(([k, v]) => `export ${k}=${v}\n`).join('') +
    keep.map(([k, v]) => `export ${k}="\${${k}:-${v}}"\n`).join('')
  );
}

/** Warden's own busybox in the root filesystem; stage 2 uses it by full path (a Debian root has its own tools). */
export const GUEST_BUSYBOX = '/opt/warden/bin/busybox';
/** Stage 2 of init, in the root filesystem. */
export const GUEST_STAGE2 = '/opt/warden/init';

/**
 * The initramfs's /init (stage 1): loads the modules, mounts the read-only root disk under
 * an overlay whose writable layer is the sandbox's disk (found by its serial) or tmpfs,
 * moves /proc /sys /dev across and switches to it.
 */
export function stage1Init(modules: string[], workspaceModules: string[] = []): string {
  // One process loads them all, in this order (a fork and exec per insmod cost ~7 ms each).
  const load = (list: string[], indent = '') =>
    list.length ? `${indent}modprobe -a ${list.join(' ')}` : `${indent}:`;
  return `#!/bin/sh
# Warden guest init, stage 1 (initramfs). Its only job: reach the root filesystem.
# Shell builtins (read, case) where they do: under TCG each fork and exec costs milliseconds.
mount -t proc proc /proc
# Guest uptime when init started, passed on to the agent's hello (boot figures).
read WARDEN_INIT_AT _ </proc/uptime
export WARDEN_INIT_AT
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
read -r cmdline </proc/cmdline
cmdline=" $cmdline "
${load(modules)}
# A template (warden.template=1, a snapshot's boot) mounts nothing, but its restored copies will.
case "$cmdline" in
*" warden.ws="* | *" warden.agents="* | *" warden.home="* | *" warden.template=1 "*)
${load(workspaceModules, '  ')}
  ;;
esac
[ -c /dev/hvc0 ] && exec </dev/null >/dev/hvc0 2>&1
read up _ </proc/uptime
echo "warden-init: started at \${WARDEN_INIT_AT}s, modules loaded at \${up}s"
fail() { echo "warden-init: $*"; poweroff -f; }
mkdir -p /lower /upper /newroot
# The writable layer: the sandbox's own disk (virtio serial ${SANDBOX_DISK_SERIAL}) when it has one, else RAM.
disk=
case "$cmdline" in
*" warden.disk=1 "*)
  for b in /sys/block/vd*; do
    serial=
    read -r serial 2>/dev/null <$b/serial
    [ "$serial" = ${SANDBOX_DISK_SERIAL} ] && disk=/dev/\${b##*/}
  done
  [ -n "$disk" ] || fail "the sandbox disk (serial ${SANDBOX_DISK_SERIAL}) is missing"
  ;;
esac
root=/dev/vda
[ "$disk" = /dev/vda ] && root=/dev/vdb
mount -t ext4 -o ro,noload $root /lower || fail "cannot mount the root filesystem $root"
if [ -n "$disk" ]; then
  mount -t ext4 -o noatime $disk /upper || fail "cannot mount the sandbox disk $disk"
else
  mount -t tmpfs -o mode=755 tmpfs /upper
fi
mkdir -p /upper/data /upper/work
mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
  fail "cannot mount the overlay root"
mkdir -p /newroot/proc /newroot/sys /newroot/dev
for m in proc sys dev; do mount --move /$m /newroot/$m; done
exec switch_root /newroot ${GUEST_STAGE2}
`;
}

/** Stage 2 (${GUEST_STAGE2}): devices, network, workspace, then busybox init (which starts the agent). */
export function stage2Init(): string {
  return `#!${GUEST_BUSYBOX} sh
# Warden guest init, stage 2 (root filesystem). PID 1 until it hands over to busybox init.
bb=${GUEST_BUSYBOX}
. /etc/profile.d/warden.sh
exec </dev/null >/dev/hvc0 2>&1
read -r cmdline </proc/cmdline
$bb mkdir -p /dev/pts /dev/shm /tmp /run ${GUEST_WORKSPACE} ${GUEST_AGENTS}
$bb mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
$bb mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# With a sandbox disk /tmp stays on it (installs unpack there); else RAM, like the rest.
case " $cmdline " in
*" warden.disk=1 "*) $bb chmod 1777 /tmp ;;
*) $bb mount -t tmpfs -o mode=1777 tmpfs /tmp ;;
esac
$bb mount -t tmpfs -o mode=755 tmpfs /run
echo "$WARDEN_INIT_AT" > /run/warden-init-at
$bb ip link set lo up
$bb ip link set eth0 up
$bb ip addr add 10.0.2.15/24 dev eth0
$bb ip route add default via 10.0.2.2
ws=
agents=
home=
for arg in $cmdline; do
  case "$arg" in
    warden.ws=*) ws="\${arg#warden.ws=}" ;;
    warden.agents=1) agents=1 ;;
    warden.home=1) home=1 ;;
  esac
done
if [ -n "$home" ]; then
  $bb mkdir -p ${GUEST_AGENT_HOME}
  if $bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ${AGENT_HOME_TAG} ${GUEST_AGENT_HOME}; then
    for d in ${AGENT_HOME_DIRS.join(' ')}; do
      $bb mkdir -p ${GUEST_AGENT_HOME}/$d && $bb rm -rf /root/$d && $bb ln -s ${GUEST_AGENT_HOME}/$d /root/$d
    done
  else
    echo "warden-init: agent home mount failed"
  fi
fi
if [ -n "$agents" ]; then
  $bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro ${AGENTS_TAG} ${GUEST_AGENTS} ||
    echo "warden-init: agents mount failed"
fi
if [ -n "$ws" ]; then
  opts=trans=virtio,version=9p2000.L,msize=262144
  [ "$ws" = ro ] && opts="$opts,ro"
  $bb mount -t 9p -o "$opts" ${WORKSPACE_TAG} ${GUEST_WORKSPACE} || echo "warden-init: workspace mount failed"
fi
read up _ </proc/uptime
echo "warden-init: root ready at \${up}s"
exec $bb init
`;
}

export function inittab(): string {
  return `# busybox init: keep the Warden agent running on the console.
hvc0::respawn:/opt/warden/agent.sh
::shutdown:/bin/sync
`;
}

/**
 * Starts the agent. Its own Node must not load the CA bundle (it exists only after setup).
 * No JIT: under TCG every piece of JIT code is translated again, and an idle agent's tiering
 * kept filling QEMU's code cache (about 2.5 MiB per command and idle pause against 0.75).
 */
export function agentLauncher(): string {
  return `#!/bin/sh
# Guest uptime at the agent's launch (boot figures; \`read\` is a builtin: nothing forks).
read up _ </proc/uptime && echo "warden-agent: starting at \${up}s"
. /etc/profile.d/warden.sh
cd /
export WARDEN_NODE_EXTRA_CA_CERTS="$NODE_EXTRA_CA_CERTS"
unset NODE_EXTRA_CA_CERTS
exec /usr/bin/node --jitless --expose-gc /opt/warden/agent.js
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
