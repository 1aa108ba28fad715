/** The differentiable ops, for model builders that want them from one place. */
export * from './attention';
export * from './batchNorm';
export * from './conv';
export * from './elementwise';
export * from './linear';
export * from './loss';
export * from './pool';
export * from './resize';
