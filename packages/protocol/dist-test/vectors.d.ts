export declare function vectorText(name: string): string;
export declare function vectorJson<T = any>(name: string): T;
