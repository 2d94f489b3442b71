export function readmeJsBlocks(url: URL | string): string[];
export function runReadmeExample(code: string, modules: Record<string, unknown>): Promise<string[]>;
