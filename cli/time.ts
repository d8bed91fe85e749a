/** "42 s", "4 min 10 s", "2 h 5 min", "3 d 1 h": precise enough to see clock skew, short enough to read. */
export function formatDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return joinUnits(Math.floor(s / 60), 'min', s % 60, 's');
  if (s < 86_400) return joinUnits(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'min');
  return joinUnits(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3600), 'h');
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

/** "in 4 min", "12 s ago", "now". */
export function formatRelative(deltaSeconds: number): string {
  if (Math.round(deltaSeconds) === 0) return 'now';
  return deltaSeconds > 0 ? `in ${formatDuration(deltaSeconds)}` : `${formatDuration(deltaSeconds)} ago`;
}

const MAX_DATE_SECONDS = 8.64e12;

/** ISO 8601 for epoch seconds, or undefined when the value is outside what a Date can hold. */
export function isoFromSeconds(seconds: number): string | undefined {
  return Number.isFinite(seconds) && Math.abs(seconds) <= MAX_DATE_SECONDS ? new Date(seconds * 1000).toISOString() : undefined;
}
