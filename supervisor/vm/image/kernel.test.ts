import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { parseKernelDepends, parseLdd } from './host-tools.ts';
import { extractVmlinux, moduleDepends, moduleLoadOrder, moduleName } from './kernel.ts';

test('module dependencies come from .modinfo and load in dependency order', () => {
  const ko = Buffer.concat([
    Buffer.from('\x7fELF....'),
    Buffer.from('\0license=GPL\0depends=virtio_ring,virtio,net-failover\0retpoline=Y\0'),
  ]);
  assert.deepEqual(moduleDepends(ko), ['virtio_ring', 'virtio', 'net_failover']);
  assert.deepEqual(moduleDepends(Buffer.from('\0depends=\0')), []);
  assert.equal(moduleName('/lib/modules/x/kernel/net/9p/9pnet-virtio.ko'), '9pnet_virtio');
  const deps: Record<string, string[]> = {
    virtio_net: ['virtio', 'virtio_ring', 'net_failover'],
    net_failover: ['failover'],
    virtio: [],
    virtio_ring: [],
    failover: [],
    virtio_mmio: ['virtio', 'virtio_ring'],
  };
  assert.deepEqual(
    moduleLoadOrder(['virtio_mmio', 'virtio_net'], (n) => deps[n] ?? []),
    ['virtio', 'virtio_ring', 'virtio_mmio', 'failover', 'net_failover', 'virtio_net'],
  );
  assert.throws(() => moduleLoadOrder(['a'], (n) => (n === 'a' ? ['b'] : ['a'])), /cycle: a -> b -> a/);
});

test('the ELF payload is found after the bzImage header and decompressed', (t) => {
  if (spawnSync('xz', ['--version']).status !== 0) return t.skip('xz is not installed');
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(1000, 1)]);
  const xz = spawnSync('xz', ['-c'], { input: elf }).stdout;
  const bz = Buffer.concat([Buffer.alloc(5000, 0x90), xz, Buffer.alloc(300, 0xff)]);
  assert.deepEqual(extractVmlinux(bz), elf);
  // Megabytes after the payload: xz stops reading at its stream's end, and what remains
  // must not make the extraction fail (through a pipe it was an EPIPE, now and then).
  const long = Buffer.concat([Buffer.alloc(5000, 0x90), xz, Buffer.alloc(16 << 20, 0xff)]);
  assert.deepEqual(extractVmlinux(long), elf);
  assert.throws(() => extractVmlinux(Buffer.alloc(100)), /no ELF kernel/);
});

test('ldd output and apt-cache depends are parsed', () => {
  const ldd = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n`;
  assert.deepEqual(parseLdd(ldd), ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
  const deps = 'linux-image-amd64\n  Depends: linux-image-6.1.0-56-amd64\n';
  assert.equal(parseKernelDepends(deps, 'linux-image-amd64'), 'linux-image-6.1.0-56-amd64');
  assert.equal(parseKernelDepends('', 'linux-image-amd64'), undefined);
});
