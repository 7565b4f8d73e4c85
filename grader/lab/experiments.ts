/**
 * The lab's experiments: each runs one phenomenon of the course with the student's own functions
 * (through StudentCode, in the sandbox) on inputs made here from the lab's own seeds — never a
 * hidden suite's inputs or a fixture — and returns what the terminal and the page show.
 *
 * Networks are composed layer by layer in this process from the student's building blocks
 * (denseForward, activationBackward, denseBackward, batchnormForward/Backward,
 * residualForward/Backward), so every layer's z, ‖dW‖ and ‖dx‖ can be shown. The activation
 * itself (σ, tanh, ReLU applied to z, and act′ where saturation is measured) is the student's 01
 * too (own-activations.ts); the statistics are the lab's own instruments.
 */
import { createRng, randnMatrix } from '../../exercises/lib/rng.js';
import type { ActivationName, Dense, Matrix } from '../../exercises/lib/types.js';
import { ACTIVATIONS_SLUG, activate, derivative } from './own-activations.js';
import { affine, deadShare, histogram, mapMatrix as map, meanStd, norm, saturatedShare } from './stats.js';
import { asMatrix, asVector, Blocked, field, seeded, type StudentCode } from './student.js';

/** One layer of a network, as the table shows it; null where the number does not apply. */
export interface LayerRow {
  layer: number;
  zMean: number;
  zStd: number;
  saturated: number | null;
  dead: number | null;
  dW: number | null;
  dx: number | null;
}

export interface Network { name: string; rows: LayerRow[] }

/** One curve of a plot. `facet` splits a plot into panels (e.g. one per initialization). */
export interface Series { plot: string; name: string; facet?: string; points: Array<{ x: number; y: number }> }

export interface Finding {
  networks: Network[];
  series: Series[];
  /** What to notice, in one sentence, from the numbers of this run. */
  notice: string;
}

export interface Experiment {
  id: string;
  title: string;
  /** The exercises whose functions it calls (a `gradlab lab 02` selects the experiments using 02). */
  uses: string[];
  /** Whether the reference's numbers are comparable point by point (false where draw order is free). */
  comparable: boolean;
  run(code: StudentCode): Promise<Finding>;
}

// ---- shared construction -------------------------------------------------------------------

/** Layers with N(0, std²) weights from the lab's own seed, biases b. */
function gaussianLayers(sizes: number[], std: (fanIn: number, fanOut: number) => number, seed: number, b = 0): Dense[] {
  const rng = createRng(seed);
  return sizes.slice(1).map((fanOut, i) => {
    const fanIn = sizes[i];
    const s = std(fanIn, fanOut);
    return { W: map(randnMatrix(fanIn, fanOut, rng), (v) => v * s), b: new Array<number>(fanOut).fill(b) };
  });
}

const xavierStd = (fanIn: number, fanOut: number): number => Math.sqrt(2 / (fanIn + fanOut));
const heStd = (fanIn: number): number => Math.sqrt(2 / fanIn);
const unitStd = (): number => 1;

/** One row of a table; the saturated share from the student's own act′ (01), for σ and tanh only. */
async function rowOf(code: StudentCode, layer: number, z: Matrix, act: ActivationName, dW: number | null, dx: number | null): Promise<LayerRow> {
  const { mean, std } = meanStd(z);
  const saturated = act === 'sigmoid' || act === 'tanh' ? saturatedShare(await derivative(code, z, act)) : null;
  return { layer, zMean: mean, zStd: std, saturated, dead: deadShare(z, act), dW, dx };
}

const fmt = (v: number): string => {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
};
const subscript = (n: number): string => String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
const pct = (v: number): string => `${Math.round(v * 100)}%`;

// ---- 1. gradient flow ----------------------------------------------------------------------

const DEPTH = 10;
const WIDTH = 32;
const BATCH = 32;

/** A plain network z = x·W + b, act after every layer but the last (the contract of mlpForward). */
async function plainNetwork(code: StudentCode, name: string, act: ActivationName, layers: Dense[], x: Matrix, dout: Matrix, batchnorm: boolean): Promise<Network> {
  const inputs: Matrix[] = [];
  const pre: Matrix[] = []; // the activation's input: z, or batch norm's output
  const caches: unknown[] = [];
  let a = x;
  for (let l = 0; l < layers.length; l++) {
    inputs.push(a);
    let z = asMatrix(await code.call('02-backprop', 'denseForward', a, layers[l]), BATCH, WIDTH, 'denseForward');
    const last = l === layers.length - 1;
    if (batchnorm && !last) {
      const params = { gamma: new Array<number>(WIDTH).fill(1), beta: new Array<number>(WIDTH).fill(0) };
      const state = { runningMean: new Array<number>(WIDTH).fill(0), runningVar: new Array<number>(WIDTH).fill(1) };
      const bn = await code.call('04-batchnorm', 'batchnormForward', z, params, state, 'train');
      z = asMatrix(field(bn, 'out', 'batchnormForward'), BATCH, WIDTH, 'batchnormForward(...).out');
      caches[l] = field(bn, 'cache', 'batchnormForward');
    }
    pre.push(z);
    a = last ? z : await activate(code, z, act);
  }
  const rows: LayerRow[] = new Array(layers.length);
  let da = dout;
  for (let l = layers.length - 1; l >= 0; l--) {
    const last = l === layers.length - 1;
    let dz = last ? da : asMatrix(await code.call('02-backprop', 'activationBackward', da, pre[l], act), BATCH, WIDTH, 'activationBackward');
    if (batchnorm && !last) {
      const r = await code.call('04-batchnorm', 'batchnormBackward', dz, caches[l]);
      dz = asMatrix(field(r, 'dx', 'batchnormBackward'), BATCH, WIDTH, 'batchnormBackward(...).dx');
    }
    const r = await code.call('02-backprop', 'denseBackward', dz, inputs[l], layers[l]);
    const dW = asMatrix(field(r, 'dW', 'denseBackward'), WIDTH, WIDTH, 'denseBackward(...).dW');
    da = asMatrix(field(r, 'dx', 'denseBackward'), BATCH, WIDTH, 'denseBackward(...).dx');
    rows[l] = await rowOf(code, l + 1, pre[l], last ? 'identity' : act, norm(dW), norm(da));
  }
  return { name, rows };
}

/** DEPTH residual blocks x + F(x), F = dense → sigmoid → dense (05), Xavier weights. */
async function residualNetwork(code: StudentCode, name: string, x: Matrix, dout: Matrix, seed: number): Promise<Network> {
  const flat = gaussianLayers(new Array(2 * DEPTH + 1).fill(WIDTH), xavierStd, seed);
  const blocks = Array.from({ length: DEPTH }, (_, i) => ({ layers: [flat[2 * i], flat[2 * i + 1]], act: 'sigmoid' as const }));
  const caches: unknown[] = [];
  const branchZ: Matrix[] = [];
  let h = x;
  for (const block of blocks) {
    branchZ.push(affine(h, block.layers[0].W, block.layers[0].b));
    const r = await code.call('05-residual', 'residualForward', h, block);
    h = asMatrix(field(r, 'out', 'residualForward'), BATCH, WIDTH, 'residualForward(...).out');
    caches.push(field(r, 'cache', 'residualForward'));
  }
  const rows: LayerRow[] = new Array(DEPTH);
  let dh = dout;
  for (let i = DEPTH - 1; i >= 0; i--) {
    const r = await code.call('05-residual', 'residualBackward', dh, caches[i]);
    const grads = field(r, 'grads', 'residualBackward');
    if (!Array.isArray(grads) || grads.length !== 2) throw new Blocked('residualBackward should return grads as [LayerGrads, LayerGrads]; fix it to see this');
    const dW = grads.map((g, k) => norm(asMatrix(field(g, 'dW', 'residualBackward'), WIDTH, WIDTH, `residualBackward(...).grads[${k}].dW`)));
    dh = asMatrix(field(r, 'dx', 'residualBackward'), BATCH, WIDTH, 'residualBackward(...).dx');
    rows[i] = await rowOf(code, i + 1, branchZ[i], 'sigmoid', Math.hypot(dW[0], dW[1]), norm(dh));
  }
  return { name, rows };
}

/** The gradient-flow experiment's inputs, from the lab's seeds (exported for the tests' own check). */
export function gradientFlowInputs(): { x: Matrix; dout: Matrix; xavier: Dense[]; he: Dense[]; unit: Dense[] } {
  const sizes = new Array(DEPTH + 1).fill(WIDTH);
  return {
    x: randnMatrix(BATCH, WIDTH, createRng(101)),
    dout: map(randnMatrix(BATCH, WIDTH, createRng(102)), (v) => v / BATCH),
    xavier: gaussianLayers(sizes, xavierStd, 11),
    he: gaussianLayers(sizes, heStd, 11),
    // tanh with N(0, 1) weights: each layer's Jacobian stretches the backward signal (06's 'exploding')
    unit: gaussianLayers(sizes, unitStd, 13),
  };
}

const TANH_UNIT = 'tanh / N(0,1)';

const gradientFlow: Experiment = {
  id: 'gradient-flow',
  title: `Gradient flow through ${DEPTH} layers`,
  uses: [ACTIVATIONS_SLUG, '02-backprop', '04-batchnorm', '05-residual'],
  comparable: true,
  async run(code) {
    const { x, dout, xavier, he, unit } = gradientFlowInputs();
    const networks: Network[] = [];
    const failures: Blocked[] = [];
    const attempt = async (make: () => Promise<Network>) => {
      try {
        networks.push(await make());
      } catch (err) {
        if (!(err instanceof Blocked)) throw err;
        failures.push(err);
      }
    };
    await attempt(() => plainNetwork(code, 'sigmoid / Xavier', 'sigmoid', xavier, x, dout, false));
    await attempt(() => plainNetwork(code, 'ReLU / He', 'relu', he, x, dout, false));
    await attempt(() => plainNetwork(code, 'sigmoid + batch norm', 'sigmoid', xavier, x, dout, true));
    await attempt(() => residualNetwork(code, 'residual (sigmoid)', x, dout, 12));
    await attempt(() => plainNetwork(code, TANH_UNIT, 'tanh', unit, x, dout, false));
    if (networks.length === 0) throw failures[0];
    const ratio = (n: Network) => (n.rows[0].dW ?? NaN) / (n.rows[n.rows.length - 1].dW ?? NaN);
    const said = networks.filter((n) => n.name !== TANH_UNIT).map((n) => `${fmt(ratio(n))} for ${n.name}`).join(', ');
    const tanh = networks.find((n) => n.name === TANH_UNIT);
    const grows = tanh ? ` With tanh and N(0, 1) weights it is ${fmt(ratio(tanh))}: every layer's Jacobian stretches the gradient on its way back, and a ratio above 1e2 is what 06's gradientFlow calls exploding.` : '';
    const missing = failures.map((f) => f.message).join('; ');
    return {
      networks,
      series: networks.map((n) => ({ plot: 'gradient-flow', name: n.name, points: n.rows.map((r) => ({ x: r.layer, y: r.dW ?? NaN })) })),
      notice: `‖dW₁‖ / ‖dW${subscript(DEPTH)}‖ is ${said}: the further a layer is from the loss, the less a sigmoid network tells it, unless ReLU/He, batch norm or a skip path keeps the gradient's size.${grows}${missing ? ` (Not drawn: ${missing}.)` : ''}`,
    };
  },
};

// ---- 2. initialization ---------------------------------------------------------------------

const INIT_WIDTH = 128;
const INIT_DEPTH = 5;
const INIT_BATCH = 100;
const SCHEMES = [
  { scheme: 'xavierNormal', label: 'Xavier' },
  { scheme: 'heNormal', label: 'He' },
  { scheme: 'standardNormal', label: 'N(0,1)' },
] as const;

const initialization: Experiment = {
  id: 'initialization',
  title: `Activations per layer under three initializations (${INIT_DEPTH} layers of ${INIT_WIDTH})`,
  uses: [ACTIVATIONS_SLUG, '03-initialization'],
  // the order in which initMlp draws from the rng is the student's choice: compare statistics, not points
  comparable: false,
  async run(code) {
    const x = randnMatrix(INIT_BATCH, INIT_WIDTH, createRng(201));
    const sizes = new Array(INIT_DEPTH + 1).fill(INIT_WIDTH);
    const networks: Network[] = [];
    const series: Series[] = [];
    const std: Record<string, number[]> = {};
    for (const { scheme, label } of SCHEMES) {
      const got = await code.call('03-initialization', 'initMlp', sizes, scheme, seeded(202));
      if (!Array.isArray(got) || got.length !== INIT_DEPTH) throw new Blocked(`initMlp should return ${INIT_DEPTH} layers for ${INIT_DEPTH + 1} sizes; fix it to see this`);
      const layers = got.map((L, i) => ({
        W: asMatrix(field(L, 'W', 'initMlp'), INIT_WIDTH, INIT_WIDTH, `initMlp(...)[${i}].W`),
        b: asVector(field(L, 'b', 'initMlp'), INIT_WIDTH, `initMlp(...)[${i}].b`),
      }));
      for (const act of ['tanh', 'relu'] as const) {
        const rows: LayerRow[] = [];
        const acts: number[][] = [];
        let a = x;
        for (let l = 0; l < INIT_DEPTH; l++) {
          const z = affine(a, layers[l].W, layers[l].b);
          a = await activate(code, z, act);
          rows.push(await rowOf(code, l + 1, z, act, null, null));
          acts.push(a.flat());
        }
        networks.push({ name: `${act} / ${label}`, rows });
        std[`${act}/${label}`] = rows.map((r) => r.zStd);
        // tanh: the whole of [−1, 1] (saturation piles up at ±1); ReLU: the positive part, up to
        // the 99th percentile of this initialization (a ReLU's zeros are the dead share in the table)
        const positives = acts.flat().filter((v) => v > 0).sort((p, q) => p - q);
        const hi = act === 'tanh' ? 1 : positives[Math.floor(0.99 * (positives.length - 1))] ?? 1;
        acts.forEach((values, l) => series.push({
          plot: `histogram-${act}`,
          facet: label,
          name: `layer ${l + 1}`,
          points: histogram(act === 'tanh' ? values : values.filter((v) => v > 0), act === 'tanh' ? -1 : 0, hi, 40).map((h) => ({ x: h.x, y: h.density })),
        }));
      }
    }
    const last = INIT_DEPTH - 1;
    const shrink = (key: string) => std[key][last] / std[key][0];
    const satN = networks.find((n) => n.name === 'tanh / N(0,1)')?.rows[last].saturated ?? NaN;
    const satX = networks.find((n) => n.name === 'tanh / Xavier')?.rows[last].saturated ?? NaN;
    return {
      networks,
      series,
      notice: `Through ReLU layers He keeps the spread of z (layer ${INIT_DEPTH} std is ${fmt(shrink('relu/He'))}× layer 1's) while Xavier shrinks it (${fmt(shrink('relu/Xavier'))}×), and N(0,1) weights saturate tanh: ${pct(satN)} of layer ${INIT_DEPTH}'s entries have tanh′ < 1e-3, against ${pct(satX)} with Xavier.`,
    };
  },
};

// ---- 3. saturation and dead units (06's own measures) -----------------------------------------

const DEAD_BIASES = [0, -1, -2, -3, -4, -5, -6, -7, -8];
/** How many inputs the dead-vs-bias layer sees (06's README counts over 1000). */
const DEAD_INPUTS = 100;

const saturationAndDeath: Experiment = {
  id: 'saturation-and-dead-units',
  title: 'Saturated tanh units per layer, and ReLU units killed by a negative bias',
  uses: [ACTIVATIONS_SLUG, '06-dead-neurons'],
  comparable: true,
  async run(code) {
    const x = randnMatrix(INIT_BATCH, INIT_WIDTH, createRng(301));
    const sizes = new Array(INIT_DEPTH + 1).fill(INIT_WIDTH);
    const networks: Network[] = [];
    const series: Series[] = [];
    for (const [label, std] of [['N(0,1)', unitStd], ['Xavier', xavierStd]] as const) {
      const layers = gaussianLayers(sizes, std, 302);
      const zs: Matrix[] = [];
      let a = x;
      for (const L of layers) {
        const z = affine(a, L.W, L.b);
        zs.push(z);
        a = await activate(code, z, 'tanh');
      }
      const sat = await code.callMany<number>('06-dead-neurons', 'saturatedFraction', zs.map((z) => [z, 'tanh']));
      const rows = await Promise.all(zs.map(async (z, l) => ({ ...await rowOf(code, l + 1, z, 'tanh', null, null), saturated: checkFraction(sat[l], 'saturatedFraction') })));
      networks.push({ name: `tanh / ${label} (saturatedFraction)`, rows });
      series.push({ plot: 'saturation', name: `tanh / ${label}`, points: rows.map((r) => ({ x: r.layer, y: r.saturated })) });
    }
    const inputs = randnMatrix(DEAD_INPUTS, 64, createRng(303));
    const [layer] = gaussianLayers([64, 256], heStd, 304);
    const zAt = DEAD_BIASES.map((b) => affine(inputs, layer.W, new Array<number>(256).fill(b)));
    const dead = (await code.callMany<number>('06-dead-neurons', 'deadUnitFraction', zAt.map((z) => [z]))).map((v) => checkFraction(v, 'deadUnitFraction'));
    series.push({ plot: 'dead-vs-bias', name: 'ReLU, 64 → 256, He', points: DEAD_BIASES.map((b, i) => ({ x: b, y: dead[i] })) });
    const at = (b: number) => pct(dead[DEAD_BIASES.indexOf(b)]);
    const satN = networks[0].rows[INIT_DEPTH - 1].saturated ?? NaN;
    const satX = networks[1].rows[INIT_DEPTH - 1].saturated ?? NaN;
    return {
      networks,
      series,
      notice: `Your saturatedFraction finds ${pct(satN)} of tanh layer ${INIT_DEPTH} saturated with N(0,1) weights against ${pct(satX)} with Xavier, and your deadUnitFraction finds ${at(-4)} of ReLU units dead at bias −4, ${at(-6)} at −6: a dead unit passes back exactly 0, so its own weights and bias never change again; only a change in its inputs (other layers learning) could bring it back. Dead means dead on the inputs seen: these ${DEAD_INPUTS} inputs are fewer than 06's 1000, so fewer units get above the bias on any of them, and more count as dead at the same bias.`,
    };
  },
};

function checkFraction(v: unknown, fn: string): number {
  if (typeof v !== 'number') throw new Blocked(`${fn} should return a number; fix it to see this`);
  return v;
}

// ---- 4. the dead-neuron story (06 trainNeuron) ------------------------------------------------

/**
 * 06's neuron and target, at a learning rate inside the stability bound lr·(‖x‖² + 1) < 2 that 06's
 * README teaches (0.5 · 3 = 1.5): where the neuron is linear, one step maps z − target to
 * (1 − 1.5)·(z − target), so the first step overshoots the target by half the error, 1.5 → −0.45,
 * and that is enough to land ReLU below its kink. No instability is needed to kill a unit; the
 * 200 steps let leaky ReLU climb back (z > 0 again at step 150) and reach the target.
 */
const NEURON = { w: [0.5, 0.5], b: 0.5, x: [1, 1], target: 0.2, lr: 0.5, steps: 200 };
/** lr·(‖x‖² + 1): a step changes z by −lr·∂loss/∂z·(‖x‖² + 1), w by x's share and b by 1. */
const NEURON_STEP_FACTOR = NEURON.lr * (NEURON.x.reduce((s, v) => s + v * v, 0) + 1);

const deadNeuron: Experiment = {
  id: 'dead-neuron',
  title: `One neuron, one step past the kink (w = [0.5, 0.5], b = 0.5, x = [1, 1], target ${NEURON.target}, lr ${NEURON.lr}: lr·(‖x‖² + 1) = ${NEURON_STEP_FACTOR} < 2)`,
  uses: [ACTIVATIONS_SLUG, '06-dead-neurons'],
  comparable: true,
  async run(code) {
    const series: Series[] = [];
    const moved: Record<string, number> = {};
    const losses: Record<string, number[]> = {};
    const zs: Record<string, number[]> = {};
    for (const act of ['relu', 'leakyRelu', 'tanh'] as const) {
      const r = await code.call('06-dead-neurons', 'trainNeuron', NEURON.w, NEURON.b, NEURON.x, NEURON.target, act, NEURON.lr, NEURON.steps);
      const history = field(r, 'history', 'trainNeuron');
      if (!Array.isArray(history) || history.length !== NEURON.steps) throw new Blocked(`trainNeuron should return a history of ${NEURON.steps} steps; fix it to see this`);
      const z = history.map((h) => checkFraction(field(h, 'z', 'trainNeuron history'), 'trainNeuron history z'));
      const a = history.map((h) => checkFraction(field(h, 'a', 'trainNeuron history'), 'trainNeuron history a'));
      losses[act] = history.map((h) => checkFraction(field(h, 'loss', 'trainNeuron history'), 'trainNeuron history loss'));
      zs[act] = z;
      // ‖∂loss/∂(w, b)‖ = |(a − target)·act′(z)|·‖(x, 1)‖, from the z and a the student's neuron went through
      const inputNorm = Math.hypot(...NEURON.x, 1);
      const [df] = await derivative(code, [z], act);
      const grad = z.map((zi, i) => Math.abs((a[i] - NEURON.target) * df[i]) * inputNorm);
      series.push({ plot: 'dead-neuron-z', name: act, points: z.map((v, i) => ({ x: i, y: v })) });
      series.push({ plot: 'dead-neuron-grad', name: act, points: grad.map((v, i) => ({ x: i, y: v })) });
      moved[act] = Math.abs(z[z.length - 1] - z[1]);
    }
    const last = NEURON.steps - 1;
    const back = zs.leakyRelu.findIndex((v, i) => i > 1 && v > 0);
    const leaky = back < 0 ? `is still below 0 at step ${last}` : `is back above 0 at step ${back}`;
    return {
      networks: [],
      series,
      notice: `Inside the stability bound (lr·(‖x‖² + 1) = ${NEURON_STEP_FACTOR} < 2) the first step still overshoots the target ${NEURON.target}, to z = ${fmt(zs.relu[1] ?? NaN)}: below ReLU's kink, where its gradient is exactly 0, so z moves by ${fmt(moved.relu)} in the ${NEURON.steps - 2} steps after and the loss stays ${fmt(losses.relu[last])}. Leaky ReLU lands there too but keeps a gradient (its slope, 0.01): it ${leaky} and ends at loss ${fmt(losses.leakyRelu[last])}; tanh ends at loss ${fmt(losses.tanh[last])}.`,
    };
  },
};

// ---- 5. training (07 trainMlp) --------------------------------------------------------------

/** 07's shape (10 layers of width 12, 16 examples, lr 0.05) on a task from the lab's own seeds. */
const TRAIN = { inputs: 4, width: 12, outputs: 1, depth: 10, batch: 16, teacherWidth: 8, steps: 100, lr: 0.05, clipNorm: 5 };

/**
 * The task: a small random tanh network's outputs, centred and scaled to variance 1 per output,
 * so the mean predictor's loss is exactly ½ per output; and the network's standard-normal draws,
 * which every run scales by its own standard deviation (the same draws for every run).
 */
export function trainingTask(): { x: Matrix; y: Matrix; sizes: number[]; constantLoss: number; layers: (std: (fanIn: number, fanOut: number) => number) => Dense[] } {
  const x = randnMatrix(TRAIN.batch, TRAIN.inputs, createRng(441));
  const teacher = gaussianLayers([TRAIN.inputs, TRAIN.teacherWidth, TRAIN.outputs], (fanIn) => 1 / Math.sqrt(fanIn), 442);
  const raw = affine(map(affine(x, teacher[0].W, teacher[0].b), Math.tanh), teacher[1].W, teacher[1].b);
  const y = raw.map((row) => row.slice());
  for (let j = 0; j < TRAIN.outputs; j++) {
    const { mean, std } = meanStd(raw.map((row) => [row[j]]));
    for (const row of y) row[j] = (row[j] - mean) / std;
  }
  // the loss of predicting each output's mean (0 after centring): Σ y² / 2N, mseLoss's ½·mean over examples
  const constantLoss = y.flat().reduce((t, v) => t + v * v, 0) / (2 * TRAIN.batch);
  const sizes = [TRAIN.inputs, ...new Array<number>(TRAIN.depth - 1).fill(TRAIN.width), TRAIN.outputs];
  return { x, y, sizes, constantLoss, layers: (std) => gaussianLayers(sizes, std, 443) };
}

const MEAN_PREDICTOR = 'mean predictor';
const baseline = (plot: string, loss: number, xs: number[]): Series => ({ plot, name: `${MEAN_PREDICTOR} (${fmt(loss)})`, points: xs.map((x) => ({ x, y: loss })) });

/** The runs: which networks learn, which do not, and what clipping does to one that explodes. */
const TRAIN_RUNS = [
  { name: 'sigmoid / Xavier', act: 'sigmoid', std: xavierStd, gain: 1, clip: false },
  { name: 'ReLU / He', act: 'relu', std: heStd, gain: 1, clip: false },
  { name: 'leaky ReLU / He', act: 'leakyRelu', std: heStd, gain: 1, clip: false },
  { name: 'ReLU / He × 1.5, no clipping', act: 'relu', std: heStd, gain: 1.5, clip: false },
  { name: `ReLU / He × 1.5, clipNorm ${TRAIN.clipNorm}`, act: 'relu', std: heStd, gain: 1.5, clip: true },
] as const;

/** The student's trainMlp on the lab's task: its history's losses and ‖dW₁‖, and the trained layers. */
async function train(code: StudentCode, layers: Dense[], act: ActivationName, opts: { lr: number; steps: number; clipNorm?: number }) {
  const { x, y, sizes } = trainingTask();
  const r = await code.call('07-training', 'trainMlp', x, y, layers, act, opts);
  const history = field(r, 'history', 'trainMlp');
  if (!Array.isArray(history) || history.length !== opts.steps) throw new Blocked(`trainMlp should return a history of ${opts.steps} steps; fix it to see this`);
  const trained = field(r, 'layers', 'trainMlp');
  if (!Array.isArray(trained) || trained.length !== layers.length) throw new Blocked(`trainMlp should return ${layers.length} layers; fix it to see this`);
  return {
    loss: history.map((h) => checkFraction(field(h, 'loss', 'trainMlp history'), 'trainMlp history loss')),
    first: history.map((h) => checkFraction(field(h, 'firstLayerGradNorm', 'trainMlp history'), 'trainMlp history firstLayerGradNorm')),
    layers: trained.map((L, i) => ({
      W: asMatrix(field(L, 'W', 'trainMlp'), sizes[i], sizes[i + 1], `trainMlp(...).layers[${i}].W`),
      b: asVector(field(L, 'b', 'trainMlp'), sizes[i + 1], `trainMlp(...).layers[${i}].b`),
    })),
  };
}

/** The share of each hidden ReLU layer's units that are dead on the whole batch (06's definition, the lab's own count). */
function deadPerLayer(x: Matrix, layers: Dense[]): number[] {
  const shares: number[] = [];
  let a = x;
  for (const L of layers.slice(0, -1)) {
    const z = affine(a, L.W, L.b);
    shares.push(deadShare(z, 'relu') ?? NaN);
    a = z.map((row) => row.map((v) => (v > 0 ? v : 0))); // the lab's own count: ReLU is max(0, z)
  }
  return shares;
}

const training: Experiment = {
  id: 'training',
  title: `Training ${TRAIN.depth}-layer networks of width ${TRAIN.width} on a teacher network's outputs (${TRAIN.steps} full-batch steps at lr ${TRAIN.lr})`,
  uses: ['07-training'],
  comparable: true,
  async run(code) {
    const { x, constantLoss, layers: draw } = trainingTask();
    const steps = Array.from({ length: TRAIN.steps }, (_, t) => t);
    const series: Series[] = [baseline('training-loss', constantLoss, steps)];
    const said: string[] = [];
    const ends: Record<string, number> = {};
    let dead: { start: number[]; end: number[] } | null = null;
    for (const run of TRAIN_RUNS) {
      const layers = draw((i, o) => run.gain * run.std(i, o));
      const r = await train(code, layers, run.act, { lr: TRAIN.lr, steps: TRAIN.steps, ...(run.clip ? { clipNorm: TRAIN.clipNorm } : {}) });
      series.push({ plot: 'training-loss', name: run.name, points: r.loss.map((v, i) => ({ x: i, y: v })) });
      series.push({ plot: 'training-first-layer', name: run.name, points: r.first.map((v, i) => ({ x: i, y: v })) });
      const end = r.loss[r.loss.length - 1];
      ends[run.name] = end;
      said.push(`${run.name} ${Number.isFinite(end) ? `${fmt(r.loss[0])} → ${fmt(end)}` : `${fmt(r.loss[0])} → ${end} (it exploded)`}`);
      if (run.name === 'ReLU / He') dead = { start: deadPerLayer(x, layers), end: deadPerLayer(x, r.layers) };
    }
    if (dead) {
      series.push({ plot: 'training-dead', name: 'ReLU / He at step 0', points: dead.start.map((v, l) => ({ x: l + 1, y: v })) });
      series.push({ plot: 'training-dead', name: `ReLU / He after ${TRAIN.steps} steps`, points: dead.end.map((v, l) => ({ x: l + 1, y: v })) });
    }
    const below = TRAIN_RUNS.filter((r) => ends[r.name] < constantLoss / 2).map((r) => r.name);
    const mean = (v: number[]) => v.reduce((t, u) => t + u, 0) / v.length;
    const born = dead ? ` ReLU / He is born with ${pct(mean(dead.start))} of its hidden units dead on these ${TRAIN.batch} examples (they pass back exactly 0 before any step), and has ${pct(mean(dead.end))} dead after training.` : '';
    return {
      networks: [],
      series,
      notice: `Loss over ${TRAIN.steps} steps, against the mean predictor's ${fmt(constantLoss)} (the flat line: predicting the mean target, knowing nothing about x): ${said.join('; ')}. Below half the mean predictor's loss: ${below.length ? below.join(', ') : 'none'}. The sigmoid network's first layer gets ‖dW₁‖ ≈ ${fmt(series.find((k) => k.plot === 'training-first-layer')?.points[TRAIN.steps - 1]?.y ?? NaN)} at its last step: its first layers barely move, and it ends at ${fmt(ends['sigmoid / Xavier'] / constantLoss)}× the mean predictor's loss. Weights 1.5× He's explode unless the gradient is clipped.${born}`,
    };
  },
};

// ---- 6. clip, or lower the learning rate? (07 trainMlp) -----------------------------------------

const SWEEP_LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.05, 0.1];
const SWEEP_RUNS = [
  { name: 'He', gain: 1, clip: false },
  { name: `He, clipNorm ${TRAIN.clipNorm}`, gain: 1, clip: true },
  { name: 'He × 1.5', gain: 1.5, clip: false },
  { name: `He × 1.5, clipNorm ${TRAIN.clipNorm}`, gain: 1.5, clip: true },
] as const;

const clipOrLowerLr: Experiment = {
  id: 'clip-or-lower-lr',
  title: `Clip, or lower the learning rate? ReLU / He and He × 1.5 on the same draws, last loss after ${TRAIN.steps} steps at each learning rate`,
  uses: ['07-training'],
  // the last loss of a run that diverges (He × 1.5 without clipping at the larger rates) depends on
  // every rounding on its way up: not a number to compare point by point with the reference's
  comparable: false,
  async run(code) {
    const { constantLoss, layers: draw } = trainingTask();
    const xs = SWEEP_LRS.map((lr) => Math.log10(lr));
    const series: Series[] = [baseline('lr-sweep', constantLoss, xs)];
    const last: Record<string, number[]> = {};
    for (const run of SWEEP_RUNS) {
      const layers = draw((i) => run.gain * heStd(i));
      last[run.name] = [];
      for (const lr of SWEEP_LRS) {
        const r = await train(code, layers, 'relu', { lr, steps: TRAIN.steps, ...(run.clip ? { clipNorm: TRAIN.clipNorm } : {}) });
        last[run.name].push(r.loss[r.loss.length - 1]);
      }
      series.push({ plot: 'lr-sweep', name: run.name, points: last[run.name].map((y, i) => ({ x: xs[i], y })) });
    }
    const wild = last['He × 1.5'];
    const clipped = last[`He × 1.5, clipNorm ${TRAIN.clipNorm}`];
    // NaN < x is false: a run that turned non-finite never counts as learning
    const learns = SWEEP_LRS.filter((_lr, i) => wild[i] < constantLoss);
    const at = SWEEP_LRS.indexOf(TRAIN.lr);
    const best = Math.min(...wild.filter((v) => v < constantLoss));
    const unclipped = learns.length
      ? `Without clipping the He × 1.5 network ends below the mean predictor's loss only at lr ${learns.map(String).join(', ')} (at best ${fmt(best)})`
      : 'Without clipping the He × 1.5 network ends below the mean predictor\'s loss at no learning rate tried';
    return {
      networks: [],
      series,
      notice: `${unclipped}; with clipNorm ${TRAIN.clipNorm} it ends at ${fmt(clipped[at])} at lr ${TRAIN.lr}, against the mean predictor's ${fmt(constantLoss)} (the flat line). Clipping caps the steps that are too long and leaves the others alone; a lower learning rate shortens every step, the healthy He network's too (${fmt(last.He[0])} at lr ${SWEEP_LRS[0]}, ${fmt(last.He[at])} at lr ${TRAIN.lr}).`,
    };
  },
};

/** Every experiment; the lab runs those whose exercises are in the course's manifest. */
export const EXPERIMENTS: Experiment[] = [gradientFlow, initialization, saturationAndDeath, deadNeuron, training, clipOrLowerLr];
