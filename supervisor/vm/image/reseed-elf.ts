// The guest's CRNG reseed helper: a 176-byte static x86-64 Linux program, written here byte
// by byte so an image needs no compiler. It opens /dev/urandom and asks the kernel to reseed
// its CRNG from the input pool now (ioctl RNDRESEEDCRNG; root only), and exits with the
// ioctl's errno (0: done). Node has no ioctl and the minimal image has no Python, so the
// agent writes the host's bytes to /dev/urandom itself, then runs this. A restored guest
// needs it: every copy of a snapshot starts with the same CRNG state.

/** Where the Warden layer installs it. */
export const GUEST_RESEED = '/opt/warden/bin/reseed';

/** RNDRESEEDCRNG, _IO('R', 0x07) (linux/random.h). */
const RNDRESEEDCRNG = 0x5207;
const LOAD_ADDRESS = 0x400000;
const HEADERS = 64 + 56; // one ELF header, one program header

/** The machine code; the path follows it. Registers: eax syscall number, edi/esi/edx arguments. */
function code(): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return [...b];
  };
  const bytes = [
    ...[0xb8, ...u32(2)], // mov eax, 2 (open)
    ...[0x48, 0x8d, 0x3d, ...u32(0)], // lea rdi, [rip + path] (patched below)
    ...[0x31, 0xf6], // xor esi, esi (O_RDONLY: the ioctl needs CAP_SYS_ADMIN, not a writable fd)
    ...[0x0f, 0x05], // syscall
    ...[0x89, 0xc7], // mov edi, eax (the fd; a failed open gives -errno, and the ioctl EBADF)
    ...[0xb8, ...u32(16)], // mov eax, 16 (ioctl)
    ...[0xbe, ...u32(RNDRESEEDCRNG)], // mov esi, RNDRESEEDCRNG
    ...[0x31, 0xd2], // xor edx, edx
    ...[0x0f, 0x05], // syscall
    ...[0x89, 0xc7], // mov edi, eax
    ...[0xf7, 0xdf], // neg edi (exit status: the errno, 0 on success)
    ...[0xb8, ...u32(60)], // mov eax, 60 (exit)
    ...[0x0f, 0x05], // syscall
  ];
  const leaEnd = 5 + 7;
  const rel = bytes.length - leaEnd; // the path starts right after the code
  bytes.splice(8, 4, ...u32(rel));
  return Buffer.concat([Buffer.from(bytes), Buffer.from('/dev/urandom\0', 'latin1')]);
}

/** The whole program: ELF header, one loadable segment (read and execute), code, path. */
export function reseedHelperElf(): Buffer {
  const body = code();
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
  elf.writeUInt32LE(5, 68); // PF_R | PF_X
  elf.writeBigUInt64LE(0n, 72); // from the file's start
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 80);
  elf.writeBigUInt64LE(BigInt(LOAD_ADDRESS), 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  return Buffer.concat([elf, body]);
}
