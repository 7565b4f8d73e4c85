import { describe, expect, it } from 'vitest';
import { formatDuration, formatPoints, nextStep, renderText } from '../grader/report/text.ts';
import {
  allCourseReport,
  courseReport,
  everyStatusReport,
  HOSTILE_MESSAGE,
  makeReport,
  makeTest,
  mixedCourseReport,
  thirdsReport,
} from './report.fixtures.ts';

const lines = (text: string) => text.split('\n');

describe('renderText', () => {
  it('ends with the total line and the next step for the first exercise not at full marks', () => {
    const out = lines(renderText(mixedCourseReport()));
    expect(out.at(-1)).toBe('');
    expect(out.at(-3)).toBe('Score: 87.125/100');
    expect(out.at(-2)).toBe('Next: run `npx gradlab hint 02-backprop`');
  });

  it('says there is nothing left when every exercise is at full marks, and 0/100 when all fail', () => {
    const full = lines(renderText(courseReport()));
    expect(full.at(-3)).toBe('Score: 100/100');
    expect(full.at(-2)).toBe('Next: every exercise is at full marks; nothing left to do.');
    const none = lines(renderText(allCourseReport('not-implemented')));
    expect(none.at(-3)).toBe('Score: 0/100');
    expect(none.at(-2)).toBe('Next: run `npx gradlab hint 01-activations`');
  });

  it('shows a header per exercise and a row per test with status, points and time', () => {
    const out = renderText(mixedCourseReport());
    expect(out).toContain('02-backprop  14/20  failed  155 ms');
    expect(lines(out)).toContain('  passed          2/2  11 ms  check 1 holds');
    expect(lines(out)).toContain('  failed          0/2  12 ms  check 2 holds');
    expect(lines(out)).toContain('  failed      0/1.875  18 ms  check 8 holds');
    expect(out).toContain('\n      expected 0.25 at x = 0, got 0.5 (relative error 1) [test 2]\n');
    expect(out.startsWith('gradlab grade test/submissions/example\n\n01-activations  15/15  passed')).toBe(true);
  });

  it('prints every status, the diagnosis, and tags hidden and after-due-date tests', () => {
    const out = renderText(everyStatusReport());
    for (const status of ['passed', 'failed', 'error', 'timeout', 'not-implemented', 'missing']) {
      expect(out).toMatch(new RegExp(`^  ${status} +\\d`, 'm'));
    }
    expect(out).toContain('      known mistake dw-not-transposed: Which of x and dout needs a transpose');
    expect(out).toContain('deep network gradients (hidden) [hidden]');
    expect(out).toContain('      gradients wrong at 3 of 8 hidden inputs (hidden test: values not shown)');
    expect(out).toContain('vanishing gradient ratio [after due date]\n      ratio expected 1e-3, got 0.5');
    expect(lines(out).at(-3)).toBe('Score: 2.5/20');
  });

  it('withholds after-due-date messages when asked', () => {
    const out = renderText(everyStatusReport(), { hideAfterDueDate: true });
    expect(out).not.toContain('ratio expected 1e-3');
    expect(out).toContain('vanishing gradient ratio [after due date]\n      (details are shown after the due date)');
  });

  it('colours only when asked, and the coloured text is the plain text plus escapes', () => {
    const report = everyStatusReport();
    const plain = renderText(report);
    const color = renderText(report, { color: true });
    expect(plain).not.toContain('\x1b');
    expect(color).toContain('\x1b[32mpassed');
    expect(color).toContain('\x1b[31mfailed');
    expect(color.replace(/\x1b\[\d+m/g, '')).toBe(plain);
  });

  it('cannot be forged by a message: no control characters, no extra Score line, no workflow command', () => {
    const out = renderText(everyStatusReport());
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(lines(out).filter((l) => l.startsWith('Score:'))).toEqual(['Score: 2.5/20']);
    expect(lines(out).filter((l) => l.trimStart().startsWith('::'))).toEqual([]);
    expect(out).toContain('\\u001b[2J\\u000dScore: 100/100');
    expect(out).toContain('      » ::notice title=Autograding complete::Points 100/100');
    expect(out).toContain('\\ud800 end');
    expect(HOSTILE_MESSAGE).toContain('\u001b');
  });

  it('rounds awkward weights so the parts add up: thirds of 10', () => {
    const out = renderText(thirdsReport([1, 2]));
    expect(out).toContain('05-residual  6.6667/10  failed');
    expect(out).toMatch(/^ {2}passed +3\.3334\/3\.3334 /m);
    expect(out).toMatch(/^ {2}passed +3\.3333\/3\.3333 /m);
    expect(lines(out).at(-3)).toBe('Score: 6.6667/10');
    expect(lines(renderText(thirdsReport([1, 2, 3]))).at(-3)).toBe('Score: 10/10');
  });

  it('never shows float noise in a total: 0.1 + 0.2', () => {
    const slug = '01-activations';
    const report = makeReport([
      { slug, tests: [makeTest(slug, 1, { points: 0.1 }), makeTest(slug, 2, { points: 0.2 })] },
    ]);
    expect(report.score).toBe(0.30000000000000004);
    expect(lines(renderText(report)).at(-3)).toBe('Score: 0.3/0.3');
  });

  it('says a cause shared by every test of an exercise (a missing file) once, under the exercise, not under each test', () => {
    const why = '02-backprop/backprop.ts is missing from the submission: create it from the exercise\'s stub (exercises/02-backprop/backprop.ts).';
    const tests = [1, 2, 3].map((i) => makeTest('02-backprop', i, { status: 'missing', message: why }));
    const out = renderText(makeReport([{ slug: '02-backprop', tests }]));
    expect(out.split(why).length - 1).toBe(1);
    expect(out).toContain(`02-backprop  0/6  missing  36 ms\n  ${why}\n  missing     0/2  11 ms  check 1 holds\n  missing     0/2  12 ms  check 2 holds\n`);
    // different messages stay under their tests
    const mixed = renderText(makeReport([{ slug: '02-backprop', tests: [tests[0], makeTest('02-backprop', 2, { status: 'missing', message: 'another cause' })] }]));
    expect(mixed).toContain(`check 1 holds\n      ${why}\n`);
    expect(mixed).toContain('check 2 holds\n      another cause\n');
  });

  it('handles an exercise without tests and a report without exercises', () => {
    const empty = makeReport([]);
    expect(lines(renderText(empty)).slice(-3)).toEqual([
      'Score: 0/0',
      'Next: no exercise was graded; check the submission folder and the --exercise flags.',
      '',
    ]);
    const missing = makeReport([{ slug: '03-initialization', tests: [], maxScore: 15, status: 'missing' }]);
    const out = renderText(missing);
    expect(out).toContain('03-initialization  0/15  missing  0 ms\n  (no tests ran)\n');
    expect(lines(out).at(-2)).toBe('Next: run `npx gradlab hint 03-initialization`');
  });
});

describe('text helpers', () => {
  it('formats points and durations', () => {
    expect([formatPoints(87.5), formatPoints(100), formatPoints(10 / 3), formatPoints(-0), formatPoints(0.1 + 0.2)]).toEqual([
      '87.5',
      '100',
      '3.3333',
      '0',
      '0.3',
    ]);
    expect([formatDuration(0), formatDuration(12.4), formatDuration(999.4), formatDuration(1234), formatDuration(-3)]).toEqual([
      '0 ms',
      '12 ms',
      '999 ms',
      '1.2 s',
      '0 ms',
    ]);
    expect(nextStep(courseReport({ '06-dead-neurons': [8] }))).toBe('Next: run `npx gradlab hint 06-dead-neurons`');
  });
});
