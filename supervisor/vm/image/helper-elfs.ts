// Two tiny static x86-64 Linux programs for the guest, written here byte by byte so an image
// needs no compiler: what a restored guest's setup needs and Node cannot do (no ioctl, no
// settimeofday), and the minimal image has no Python for. Each exits with the errno of its
// system call (0: done).
// - reseed: opens /dev/urandom and asks the kernel to reseed its CRNG from the input pool now
//   (ioctl RNDRESEEDCRNG; root only). The agent writes the host's bytes to /dev/urandom first.
//   Every copy of a snapshot starts with the same CRNG state.
// - set-clock: reads a struct timespec (two little-endian 64-bit integers: seconds,
//   nanoseconds) on stdin and sets CLOCK_REALTIME to it; 16 bytes or EINVAL.

/** Where the Warden layer installs them. */
export const GUEST_RESEED = '/opt/warden/bin/reseed';
export const GUEST_SET_CLOCK = '/opt/warden/bin/set-clock';

/** RNDRESEEDCRNG, _IO('R', 0x07) (linux/random.h). */
const RNDRESEEDCRNG = 0x5207;
const LOAD_ADDRESS = 0x400000;
const HEADERS = 64 + 56; // one ELF header, one program header

const u32 = (n: number): number[] => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return [...b];
};

/** A static executable: ELF header, one loadable segment (its flags), then `body` (code and data). */
function staticElf(body: Buffer, flags: number): Buffer {
  const size = HEADERS + body.length;
  const elf = Buffer.alloc(HEADERS);
  elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // magic, 64-bit, little-endian, version 1, System V
  elf.writeUInt16LE(2, 16); // ET_EXEC
  elf.writeUInt16LE(0x3e, 18); // x86-64
  elf.writeUInt32LE(1, 20); // version
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS + HEADERS), 24); // entry: the code after the headers
  elf.writeBigUInt64LE(64n, 32); // program headers right after this one
  elf.writeUInt16LE(64, 52); // ELF header size
  elf.writeUInt16LE(56, 54); // program header size
  elf.writeUInt16LE(1, 56); // one program header
  elf.writeUInt32LE(1, 64); // PT_LOAD
  elf.writeUInt32LE(flags, 68);
  elf.writeBigUInt64LE(0n, 72); // from the file's start
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 80);
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([elf, body]);
}

/** The reseed helper (176 bytes). Registers: eax the system call, edi/esi/edx its arguments. */
export function reseedHelperElf(): Buffer {
  const code = [
    ...[0xb8, ...u32(2)], // 0: mov eax, 2 (open)
    ...[0x48, 0x8d, 0x3d, ...u32(43 - 12)], // 5: lea rdi, [rip + path] (path at 43)
    ...[0x31, 0xf6], // 12: xor esi, esi (O_RDONLY: the ioctl needs CAP_SYS_ADMIN, not a writable fd)
    ...[0x0f, 0x05], // 14: syscall
    ...[0x89, 0xc7], // 16: mov edi, eax (the fd; a failed open gives -errno, and the ioctl EBADF)
    ...[0xb8, ...u32(16)], // 18: mov eax, 16 (ioctl)
    ...[0xbe, ...u32(RNDRESEEDCRNG)], // 23: mov esi, RNDRESEEDCRNG
    ...[0x31, 0xd2], // 28: xor edx, edx
    ...[0x0f, 0x05], // 30: syscall
    ...[0x89, 0xc7], // 32: mov edi, eax
    ...[0xf7, 0xdf], // 34: neg edi (exit status: the errno, 0 on success)
    ...[0xb8, ...u32(60)], // 36: mov eax, 60 (exit)
    ...[0x0f, 0x05], // 41: syscall
  ];
  if (code.length !== 43) throw new Error('reseed helper: the path offset is wrong');
  return staticElf(Buffer.concat([Buffer.from(code), Buffer.from('/dev/urandom\0', 'latin1')]), 5); // R+X
}

/** The clock helper (193 bytes): its 16-byte buffer is in its own (writable) segment. */
export function setClockHelperElf(): Buffer {
  const code = [
    ...[0x31, 0xc0], // 0: xor eax, eax (read)
    ...[0x31, 0xff], // 2: xor edi, edi (stdin)
    ...[0x48, 0x8d, 0x35, ...u32(57 - 11)], // 4: lea rsi, [rip + buf] (buf at 57)
    ...[0xba, ...u32(16)], // 11: mov edx, 16
    ...[0x0f, 0x05], // 16: syscall
    ...[0x83, 0xf8, 0x10], // 18: cmp eax, 16
    ...[0x75, 45 - 23], // 21: jne fail (45)
    ...[0xb8, ...u32(227)], // 23: mov eax, 227 (clock_settime)
    ...[0x31, 0xff], // 28: xor edi, edi (CLOCK_REALTIME)
    ...[0x48, 0x8d, 0x35, ...u32(57 - 37)], // 30: lea rsi, [rip + buf]
    ...[0x0f, 0x05], // 37: syscall
    ...[0x89, 0xc7], // 39: mov edi, eax
    ...[0xf7, 0xdf], // 41: neg edi (the errno, 0 on success)
    ...[0xeb, 50 - 45], // 43: jmp exit (50)
    ...[0xbf, ...u32(22)], // 45 fail: mov edi, EINVAL (not 16 bytes)
    ...[0xb8, ...u32(60)], // 50 exit: mov eax, 60 (exit)
    ...[0x0f, 0x05], // 55: syscall
  ];
  if (code.length !== 57) throw new Error('clock helper: the buffer offset is wrong');
  return staticElf(Buffer.concat([Buffer.from(code), Buffer.alloc(16)]), 7); // R+W+X
}

/** The 16 bytes set-clock reads: epoch milliseconds as a struct timespec. */
export function timespec(epochMs: number): Buffer {
  const b = Buffer.alloc(16);
  const ms = Math.round(epochMs);
  b.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), 0);
  b.writeBigInt64LE(BigInt((ms % 1000) * 1_000_000), 8);
  return b;
}
