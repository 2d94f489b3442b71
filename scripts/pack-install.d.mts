export function pack(packageDirs: string[], dest: string): string[];
export function packInstall(packageDirs: string[], registryDeps?: string[]): string;
export function runModule(dir: string, source: string): string;
