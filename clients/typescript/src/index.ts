export * from "./client.js";
export { useSSE } from "./useSSE.js";
export type { UseSSEOptions, UseSSEResult } from "./useSSE.js";
