// Public face of the VM layer.
export { buildMinimalImage, type BuildMinimalImageOptions, type BuiltImage } from './image/builder.ts';
export { listImages, verifyImage, type ImageManifest, type VmImage } from './image/manifest.ts';
