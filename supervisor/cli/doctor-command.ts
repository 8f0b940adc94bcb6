// `warden doctor`: can this machine run sandboxes, and if not, what to do. Each finding
// says what was checked, what was found, and the fix. Exit 1 when something blocks runs.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { Command } from 'commander';
import type { TrustStoreView } from '../api/index.ts';
import { ApiClient } from '../client/api-client.ts';
import { loadTrustStores } from '../proxy/index.ts';
import { defaultImageName, imageKind, listImages, verifyImage } from '../vm/index.ts';
import { cliPaths, printJson } from './connect.ts';
import { ExitCode } from './exit-codes.ts';
import { imagesDir } from './image-command.ts';

export interface Finding {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  found: string;
  fix?: string;
}

function qemuFindings(qemu: string): Finding[] {
  const version = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return [
      {
        check: 'QEMU',
        status: 'fail',
        found: `${qemu} cannot be run (${version.error?.message ?? `exit ${version.status}`})`,
        fix: 'install it: apt-get install qemu-system-x86 (or set WARDEN_QEMU to its path)',
      },
    ];
  }
  const out: Finding[] = [{ check: 'QEMU', status: 'ok', found: version.stdout.split('\n')[0]!.trim() }];
  const machines = spawnSync(qemu, ['-M', 'help'], { encoding: 'utf8' });
  out.push(
    /\bmicrovm\b/.test(machines.stdout)
      ? { check: 'microvm machine', status: 'ok', found: 'QEMU offers -M microvm' }
      : {
          check: 'microvm machine',
          status: 'fail',
          found: 'this QEMU has no microvm machine type',
          fix: 'install QEMU 5.0 or newer (apt-get install qemu-system-x86)',
        },
  );
  return out;
}

function kvmFinding(daemonAccel: { accel: string; reason: string } | null | undefined): Finding {
  if (daemonAccel) {
    return daemonAccel.accel === 'tcg'
      ? {
          check: 'acceleration',
          status: 'warn',
          found: `TCG (software emulation): ${daemonAccel.reason}`,
          fix: 'sandboxes work but boot slower; on a host where /dev/kvm works (not nested), KVM is used by itself',
        }
      : { check: 'acceleration', status: 'ok', found: `${daemonAccel.accel}: ${daemonAccel.reason}` };
  }
  if (process.env.WARDEN_ACCEL) {
    return {
      check: 'acceleration',
      status: 'ok',
      found: `forced by WARDEN_ACCEL=${process.env.WARDEN_ACCEL}`,
    };
  }
  if (!existsSync('/dev/kvm')) {
    return {
      check: 'acceleration',
      status: 'warn',
      found: 'no /dev/kvm: VMs will use TCG (software emulation, slower boots)',
      fix: 'enable virtualization in the firmware and load kvm_intel or kvm_amd',
    };
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (error) {
    return {
      check: 'acceleration',
      status: 'warn',
      found: `/dev/kvm is not usable by this user (${(error as NodeJS.ErrnoException).code}): VMs will use TCG`,
      fix: 'add yourself to the kvm group (sudo usermod -aG kvm $USER) and log in again',
    };
  }
  return {
    check: 'acceleration',
    status: 'ok',
    found:
      '/dev/kvm is usable; the daemon proves it with a probe boot (nested KVM can hang) and falls back to TCG',
  };
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** The tools `warden image build` needs for each kind. */
function imageToolsFinding(): Finding {
  const missing = [
    ['mkfs.ext4', 'e2fsprogs'],
    ['debootstrap', 'debootstrap'],
  ].filter(([tool]) => !onPath(tool!));
  if (missing.length === 0) {
    return { check: 'image tools', status: 'ok', found: 'mkfs.ext4 and debootstrap are installed' };
  }
  return {
    check: 'image tools',
    status: 'warn',
    found: `not installed: ${missing.map(([t]) => t).join(', ')} (needed to build guest images; debootstrap only for the full one)`,
    fix: `apt-get install ${missing.map(([, p]) => p).join(' ')}`,
  };
}

/** Which stores upstream TLS trusts: the running daemon's, else what one started now would read. */
export function trustFinding(daemonStores: TrustStoreView[] | undefined): Finding {
  let stores = daemonStores;
  let whose = 'the daemon trusts';
  if (!stores) {
    whose = 'a daemon started from this shell would trust';
    try {
      const upstreamCaFile = process.env.WARDEN_UPSTREAM_CA || undefined;
      stores = loadTrustStores({ upstreamCaFile }).stores;
    } catch (error) {
      return {
        check: 'upstream trust',
        status: 'fail',
        found: (error as Error).message,
        fix: 'fix the path in WARDEN_UPSTREAM_CA, or unset it',
      };
    }
  }
  const label = (s: TrustStoreView) =>
    s.source === 'node' ? "Node's bundled roots" : s.path ? `${s.source} ${s.path}` : s.source;
  const used = stores.filter((s) => !s.problem || s.certificates > 0);
  const problems = stores.filter((s) => s.problem);
  const found = `${whose}: ${used.map((s) => `${label(s)} (${s.certificates} certificates)`).join('; ')}${
    problems.length ? `; not used: ${problems.map((s) => `${label(s)}: ${s.problem}`).join('; ')}` : ''
  }`;
  return problems.length
    ? {
        check: 'upstream trust',
        status: 'warn',
        found,
        fix: 'fix or unset the path named; the macOS keychain and the Windows store are not read: export a CA to a PEM file and set WARDEN_UPSTREAM_CA',
      }
    : { check: 'upstream trust', status: 'ok', found };
}

async function imageFinding(): Promise<Finding> {
  const dir = imagesDir();
  const wanted = defaultImageName();
  const list = listImages(dir);
  const build = `warden image build${imageKind(wanted) ? ` ${wanted}` : ''}`;
  const hit = list.find(({ manifest }) => manifest.name === wanted || manifest.id.startsWith(wanted));
  if (!hit) {
    const others = list.map(({ manifest }) => manifest.name);
    return {
      check: 'guest image',
      status: 'warn',
      found: `no ${wanted} image (the default) in ${dir}${others.length ? `; there are: ${[...new Set(others)].join(', ')}` : ''}`,
      fix: `build it now with: ${build} (or let the first warden run build it)`,
    };
  }
  try {
    const image = await verifyImage(hit.dir);
    return {
      check: 'guest image',
      status: 'ok',
      found: `${image.id.slice(0, 12)} (${image.name}, the default; kernel ${image.manifest.kernel.version}), hashes verified`,
    };
  } catch (error) {
    return {
      check: 'guest image',
      status: 'fail',
      found: `the ${wanted} image does not verify: ${(error as Error).message}`,
      fix: `remove ${hit.dir} and run: ${build}`,
    };
  }
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('Check that this machine can run sandboxes (QEMU, KVM or TCG, image, daemon), with fixes.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const qemu = process.env.WARDEN_QEMU || 'qemu-system-x86_64';
      const findings: Finding[] = [...qemuFindings(qemu)];
      const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
      findings.push(
        busybox
          ? { check: 'busybox', status: 'ok', found: `${busybox} (forwards guest connections to the proxy)` }
          : {
              check: 'busybox',
              status: 'fail',
              found:
                'busybox is not installed: the guest cannot reach its proxy, and the image cannot be built',
              fix: 'apt-get install busybox-static',
            },
      );
      const paths = cliPaths();
      let daemonAccel: { accel: string; reason: string } | null | undefined;
      let daemonTrust: TrustStoreView[] | undefined;
      try {
        const client = await ApiClient.fromFiles(paths.socket, paths.tokenFile);
        const status = await client.call('GET /v1/status', { timeoutMs: 5000 });
        daemonAccel = status.vm?.accel;
        daemonTrust = status.upstreamTrust;
        findings.push({
          check: 'daemon',
          status: 'ok',
          found: `running (pid ${status.pid}, version ${status.version}); ${status.vm ? `${status.vm.sandboxes} sandboxes, warm pool ${status.vm.pool.ready}/${status.vm.pool.size} ready` : ''}`,
          ...(status.vm?.pool.lastError ? { fix: `warm pool: ${status.vm.pool.lastError}` } : {}),
        });
      } catch (error) {
        findings.push({
          check: 'daemon',
          status: 'warn',
          found: `not reachable at ${paths.socket} (${(error as Error).message})`,
          fix: 'it starts by itself on warden run, or start it with: warden daemon',
        });
      }
      findings.push(kvmFinding(daemonAccel));
      findings.push(trustFinding(daemonTrust));
      findings.push(imageToolsFinding());
      findings.push(await imageFinding());
      if (opts.json) printJson(findings);
      else {
        const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
        for (const f of findings) {
          process.stdout.write(`${mark[f.status]}  ${f.check}: ${f.found}\n`);
          if (f.fix) process.stdout.write(`      → ${f.fix}\n`);
        }
      }
      process.exitCode = findings.some((f) => f.status === 'fail') ? ExitCode.failed : ExitCode.ok;
    });
}
