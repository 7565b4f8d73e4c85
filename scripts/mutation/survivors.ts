/**
 * The verdict of a mutation run: per exercise file, how many mutants the hidden suites killed, and
 * whether every survivor is a listed equivalent mutant (docs/equivalent-mutants.json) whose entry
 * says why it cannot change a grade. A listed mutant that no longer survives is a stale entry.
 */

/** A position in Stryker's JSON report (mutation-testing-report-schema): line and column 1-based. */
interface Position { line: number; column: number }

/** One mutant as Stryker's JSON reporter writes it (the fields read here). */
export interface ReportedMutant {
  id: string;
  mutatorName: string;
  replacement: string;
  status: string;
  location: { start: Position; end: Position };
}

/** Stryker's JSON report: the mutated files, each with its source and mutants. */
export interface MutationReport { files: Record<string, { source: string; mutants: ReportedMutant[] }> }

/** An entry of docs/equivalent-mutants.json. */
export interface EquivalentMutant {
  file: string;       // e.g. solutions/06-dead-neurons/diagnostics.ts
  code: string;       // the trimmed source line the mutant starts on
  original: string;   // the source text the mutant replaces
  mutator: string;    // Stryker's mutator name
  replacement: string;
  why: string;        // why no graded input can tell the mutant from the reference
}

export interface FileScore { file: string; mutants: number; killed: number; timeout: number; equivalent: number; survived: number }

/** The text a mutant replaces and the trimmed line it starts on. */
export function mutatedText(source: string, { start, end }: { start: Position; end: Position }): { code: string; original: string } {
  const lines = source.split('\n');
  const offset = (p: Position) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return { code: lines[start.line - 1].trim(), original: source.slice(offset(start), offset(end)) };
}

/** Scores the given files of a report and lists every unlisted survivor and every stale entry. */
export function checkSurvivors(report: MutationReport, equivalents: EquivalentMutant[], files: string[]): { scores: FileScore[]; problems: string[]; unlisted: EquivalentMutant[] } {
  const scores: FileScore[] = [];
  const problems: string[] = [];
  const unlisted: EquivalentMutant[] = [];
  for (const e of equivalents) {
    if (!(typeof e.why === 'string' && e.why.trim().length > 0)) problems.push(`docs/equivalent-mutants.json: the entry for ${e.file} (\`${e.code}\`) must say why the mutant cannot change a grade`);
  }
  const used = new Set<EquivalentMutant>();
  for (const file of files) {
    const result = report.files[file];
    if (!result) continue;
    const score: FileScore = { file, mutants: 0, killed: 0, timeout: 0, equivalent: 0, survived: 0 };
    for (const m of result.mutants) {
      score.mutants++;
      if (m.status === 'Killed') { score.killed++; continue; }
      if (m.status === 'Timeout') { score.timeout++; continue; }
      const { code, original } = mutatedText(result.source, m.location);
      const entry = m.status === 'Survived'
        ? equivalents.find((e) => e.file === file && e.mutator === m.mutatorName && e.replacement === m.replacement && e.code === code && e.original === original)
        : undefined;
      if (entry) {
        score.equivalent++;
        used.add(entry);
        continue;
      }
      score.survived++;
      if (m.status === 'Survived') unlisted.push({ file, code, original, mutator: m.mutatorName, replacement: m.replacement, why: '' });
      const first = (s: string) => s.split('\n')[0];
      problems.push(`${m.status} mutant ${m.mutatorName} at ${file}:${m.location.start.line}:${m.location.start.column}: `
        + `\`${first(original)}\` → \`${first(m.replacement)}\`: kill it with a hidden test, or list it in docs/equivalent-mutants.json with why it cannot change a grade`);
    }
    scores.push(score);
  }
  for (const e of equivalents) {
    if (report.files[e.file] && files.includes(e.file) && !used.has(e)) {
      problems.push(`docs/equivalent-mutants.json lists a mutant of ${e.file} that no longer survives (\`${e.code}\`: ${e.mutator} → \`${e.replacement}\`): remove the entry`);
    }
  }
  return { scores, problems, unlisted };
}

/** Mutation score of one file, equivalents left out: detected / (mutants − equivalent). */
export function mutationScore(s: FileScore): number {
  const valid = s.mutants - s.equivalent;
  return valid === 0 ? 1 : (s.killed + s.timeout) / valid;
}
