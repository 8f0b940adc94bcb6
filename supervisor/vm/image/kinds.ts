// The kinds of guest image Warden builds, and which one a sandbox gets when none is named.

export type ImageKind = 'minimal' | 'full';

export const IMAGE_KINDS: readonly ImageKind[] = ['full', 'minimal'];

/** The image name used when none is asked: $WARDEN_IMAGE, else "full" (the userland agents need). */
export function defaultImageName(env: NodeJS.ProcessEnv = process.env): string {
  return env.WARDEN_IMAGE?.trim() || 'full';
}

export function imageKind(name: string): ImageKind | undefined {
  return IMAGE_KINDS.find((k) => k === name);
}

/** What building `kind` needs, for the hint of a failed build. */
export function imageBuildHint(kind: ImageKind): string {
  return kind === 'full'
    ? 'it needs root, debootstrap, e2fsprogs, busybox-static and a reachable Debian mirror; see: warden doctor'
    : 'it needs apt-get (Debian packages), e2fsprogs, busybox-static, curl and util-linux; see: warden doctor';
}
