// no math: fixed answers and scripted histories
import type { Matrix, Vector } from '../lib/types';
export function deadUnitFraction(z: Matrix): number { return 0.5; }
export function saturatedFraction(z: Matrix, act: 'sigmoid' | 'tanh', gradThreshold = 1e-3): number { return 0; }
export function gradientFlow(n: number[]): 'vanishing' | 'exploding' | 'healthy' { return 'healthy'; }
export function trainNeuron(w: Vector, b: number, x: Vector, target: number, act: string, lr: number, steps: number) {
  const history: { z: number; a: number; loss: number }[] = [];
  let W = w.slice(), B = b;
  for (let t = 0; t < steps; t++) {
    let z: number;
    if (t === 0) z = 1.5;
    else if (act === 'relu') z = -10;
    else if (act === 'tanh') z = -5 + 0.01 * t;
    else z = -10 + 0.2 * t;            // leakyRelu: climbs back
    history.push({ z, a: 0, loss: 0 });
    if (act === 'relu' && t >= 1) continue;
    W = W.map((v) => v - 1e-3 * (t + 1)); B -= 1e-3;
  }
  return { w: W, b: B, history };
}
