/** File-system errors (EACCES, ENOTDIR...) in words a user can act on, to follow a file's name. */

export function describeFsError(error: unknown, doing: 'read' | 'written' = 'read'): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `cannot be ${doing}: permission denied; give the user running warren access, or choose another path`;
    case 'ENOENT':
      return 'does not exist; create it, or choose another path';
    case 'EISDIR':
      return 'is a folder; name a file';
    case 'ENOTDIR':
      return 'is under a path that is a file, not a folder; choose another path';
    case 'ELOOP':
      return 'is a loop of symbolic links; point it at a real file';
    case 'EROFS':
      return `cannot be ${doing}: the file system is read-only; choose another path`;
    case 'ENOSPC':
      return `cannot be ${doing}: the disk is full; free some space`;
    case 'EBUSY':
    case 'EXDEV':
      return `cannot be ${doing}: it is a mount point or on another file system than its folder; unmount it, or choose another output folder`;
    default:
      return `cannot be ${doing} (${code ?? (error as Error | undefined)?.message ?? String(error)})`;
  }
}
