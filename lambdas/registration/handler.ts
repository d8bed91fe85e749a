// Placeholder replaced by the real handler in this session; do not edit.
export async function handler(): Promise<never> {
  throw new Error('not built yet');
}
