/**
 * `npm run bench` (second part): the course helpers at the size the course promises — a 50-layer,
 * width-64, batch-32 MLP forward + backward (reference solutions on exercises/lib) — beside one
 * 32×64·64×64 matmul, so the figure reads as a ratio measured in the same run.
 */
import { bench, describe } from 'vitest';
import { createRng } from '../exercises/lib/rng';
import { matmul } from '../exercises/lib/tensor';
import { mlpBackward, mlpForward } from '../solutions/02-backprop/backprop';
import { initMlp } from '../solutions/03-initialization/init';
import { randnMatrix } from '../exercises/lib/rng';

const rng = createRng(1);
const layers = initMlp(Array(51).fill(64), 'xavierNormal', rng);
const x = randnMatrix(32, 64, rng);
const dout = randnMatrix(32, 64, rng);
const W = layers[0].W;

describe('exercises/lib at course scale', () => {
  bench('one matmul [32x64]·[64x64] (the unit)', () => {
    matmul(x, W);
  });
  bench('50-layer width-64 batch-32 MLP, forward + backward (tanh)', () => {
    const { cache } = mlpForward(x, layers, 'tanh');
    mlpBackward(dout, cache);
  });
});
