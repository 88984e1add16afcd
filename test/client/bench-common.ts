/** Helpers of the bench's lab applications (bench-app.ts, bench-poison.ts). */
export const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export const num = (name: string, fallback?: string): number => Number(env(name, fallback));
