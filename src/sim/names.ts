/** Names match case-insensitively and ignoring "-", "_", "." and spaces ("llama2-70b" finds Llama-2-70B). */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, "");
}
