// Filled in by the safetensors work (issue 2).
export {};
