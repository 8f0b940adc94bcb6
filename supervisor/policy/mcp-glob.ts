// Globs of spec.mcp rules: tool and prompt names (`*` any characters, `?` one) and resource
// URIs (`*` any characters except `/`, `**` any characters, `?` one except `/`). The name or
// URI is matched literally: glob characters in it are plain characters.

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A glob over names: `*` any run of characters, `?` exactly one. Case-sensitive. */
export function compileNameGlob(glob: string): RegExp {
  let out = '';
  for (const c of glob) {
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, 'su');
}

/** A glob over URIs: `*` within a `/`-separated part, `**` across parts, `?` one character but `/`. */
export function compileUriGlob(glob: string): RegExp {
  let out = '';
  const chars = [...glob];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === '*' && chars[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += escapeRegex(c);
  }
  return new RegExp(`^${out}$`, 'su');
}
