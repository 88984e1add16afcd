/** What the lab applications (lab-app.ts, bench-app.ts, bench-poison.ts, bench/soak/client-app.ts) read from their environment, and their sleep. */
export const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export const num = (name: string, fallback?: string): number => Number(env(name, fallback));
