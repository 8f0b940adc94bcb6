export function versionSource(version: string): string;
export function writeVersion(): void;
