/** Run by maxPoolTies.test.ts in a process with SwiftShader's environment: the WebGPU form on WebGPU, as JSON. */
import { poolGradient, poolOptions, tieCases } from '../helpers/maxPoolTies';

async function main(): Promise<void> {
  const results = [];
  for (const c of tieCases()) {
    const { y, dx } = await poolGradient(Float32Array.from(c.x), c.shape, poolOptions(c), Float32Array.from(c.dy), 'webgpu', { provider: 'webgpu' });
    results.push({ name: c.name, y: [...y], dx: [...dx] });
  }
  console.log(JSON.stringify(results));
}

void main();
