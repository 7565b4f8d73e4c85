/**
 * The student side of GitHub Classroom, written into the template's
 * .github/workflows/classroom.yml by `gradlab export`: no secret, nothing private. It runs what is
 * safe to reveal — the public tests and `npm run check` — and reports to Classroom one point per
 * exercise whose public tests pass, as feedback. One mistake costs one point: an exercise whose
 * tests fail only while a function it imports from another exercise fails that exercise's own
 * tests keeps its point and its step says which exercise to fix first (check/blocked.ts). One
 * `check` run gives both the progress and the points (`--points`); an exercise it wrote no point
 * for runs alone (`check <exercise> --exit-code`), as every exercise once did. The grade comes
 * from the teacher-side workflow of the course repository (.github/workflows/grade-class.yml),
 * which never runs here.
 */
import type { Manifest } from '../manifest.js';
import { RECOMMENDED_NODE_LINE } from '../node-support.js';

/**
 * The points GitHub Classroom shows come from two notice annotations of the run, as
 * classroom-resources/autograding-grading-reporter@v1 writes them (its src/notify-classroom.js):
 * "Points X/Y" titled "Autograding complete" and {"totalPoints":X,"maxPoints":Y} titled
 * "Autograding report". That action and autograding-command-grader@v1 run on node20, which GitHub
 * removed from its runners (.github/action-runtimes.json), so a shell step writes them instead.
 */
function pointsStep(manifest: Manifest): string {
  const slugs = manifest.exercises.map((e) => e.slug).join(' ');
  const max = manifest.exercises.length;
  return `
      - name: Points for Classroom (one per exercise whose public tests pass, or fail only because of another exercise)
        run: |
          points=0
          { echo '## Points'; echo; echo '| exercise | public tests | points |'; echo '|---|---|---:|'; } >> "$GITHUB_STEP_SUMMARY"
          for slug in ${slugs}; do
            echo "::group::$slug public tests"
            # fails only when the exercise fails on its own; blocked by another exercise, it says which to fix first.
            # The progress step's run wrote each exercise's point and lines; without them, the exercise runs alone
            if [ -f "$RUNNER_TEMP/points/$slug" ]; then
              tail -n +2 "$RUNNER_TEMP/points/$slug"
              got=$(head -n 1 "$RUNNER_TEMP/points/$slug")
            elif timeout 10m node scripts/gradlab.mjs check "$slug" --exit-code; then
              got=1
            else
              got=0
            fi
            if [ "$got" = 1 ]; then
              points=$((points + 1)); result='pass (or blocked by another exercise)'
            else
              got=0; result='not all pass'
            fi
            echo "::endgroup::"
            echo "| $slug | $result | $got |" >> "$GITHUB_STEP_SUMMARY"
          done
          echo "::notice title=Autograding complete::Points $points/${max}"
          echo "::notice title=Autograding report::{\\"totalPoints\\":$points,\\"maxPoints\\":${max}}"
          [ "$points" -eq ${max} ] || { echo "::error::$((${max} - points)) of ${max} exercises do not pass their public tests yet: see npm run check above"; exit 1; }`;
}

export function studentWorkflow(manifest: Manifest): string {
  return `# Feedback for GitHub Classroom, written by \`gradlab export\`. It holds no secret and reads nothing
# private: it runs the public tests (one point per exercise whose public tests pass, or fail only
# because a function it imports from another exercise fails there: that exercise loses the point,
# and the step says to fix it first) and \`npm run check\` (each failing test and what to do next,
# in the run's summary). These points are
# feedback, not the grade: the course staff grade with the hidden suites from the course
# repository, and post your report on your commit.
name: Autograding Tests
on: [push, workflow_dispatch, repository_dispatch]

permissions:
  checks: write
  actions: read
  contents: read

jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout
        uses: actions/checkout@v7
        with:
          persist-credentials: false

      - name: Set up Node.js ${RECOMMENDED_NODE_LINE}
        uses: actions/setup-node@v7
        with:
          node-version: ${RECOMMENDED_NODE_LINE}
          package-manager-cache: false

      - name: Install
        run: npm ci --no-audit --no-fund

      - name: Progress (npm run check)
        run: |
          timeout 20m npm run --silent check -- --points "$RUNNER_TEMP/points" > "$RUNNER_TEMP/check.txt"
          cat "$RUNNER_TEMP/check.txt"
          { echo '## Public tests'; echo; echo '\`\`\`'; cat "$RUNNER_TEMP/check.txt"; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"
${pointsStep(manifest)}
`;
}
