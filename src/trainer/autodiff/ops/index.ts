/** The differentiable ops, for model builders that want them from one place. */
export * from './attention';
export * from './batchNorm';
export * from './broadcast';
export * from './conv';
export * from './elementwise';
export * from './gelu';
export * from './layerNorm';
export * from './linear';
export * from './loss';
export * from './matmul';
export * from './pool';
export * from './resize';
export * from './selfAttention';
export * from './shape';
export * from './softmax';
