/**
 * The student side of GitHub Classroom, written into the template's
 * .github/workflows/classroom.yml by `gradlab export`: no secret, nothing private. It runs what is
 * safe to reveal — the public tests and `npm run check` — and reports to Classroom one point per
 * exercise whose public tests pass, as feedback. One mistake costs one point: an exercise whose
 * tests fail only while a function it imports from another exercise fails that exercise's own
 * tests keeps its point and its step says which exercise to fix first (`check --exit-code`,
 * check/blocked.ts). The grade comes from the teacher-side workflow of the course repository
 * (.github/workflows/grade-class.yml), which never runs here.
 */
import type { Manifest } from '../manifest.js';
import { envName, runnerId } from '../report/classroom.js';

export function studentWorkflow(manifest: Manifest): string {
  const ids = manifest.exercises.map((e) => runnerId(e.slug));
  const graders = manifest.exercises.map((e, i) => `
      - name: ${e.slug} public tests
        id: ${ids[i]}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: ${e.slug} public tests
          setup-command: ''
          command: node scripts/gradlab.mjs check ${e.slug} --exit-code
          timeout: 10
          max-score: 1`).join('\n');
  const env = ids.map((id) => `          ${envName(id)}: "\${{ steps.${id}.outputs.result }}"`).join('\n');
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
        uses: actions/checkout@v4
        with:
          persist-credentials: false

      - name: Set up Node.js 20
        uses: actions/setup-node@v4
        with:
          node-version: 20

      - name: Install
        run: npm ci --no-audit --no-fund

      - name: Progress (npm run check)
        run: |
          npm run --silent check > "$RUNNER_TEMP/check.txt"
          cat "$RUNNER_TEMP/check.txt"
          { echo '## Public tests'; echo; echo '\`\`\`'; cat "$RUNNER_TEMP/check.txt"; echo '\`\`\`'; } >> "$GITHUB_STEP_SUMMARY"
${graders}

      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
${env}
        with:
          runners: ${ids.join(',')}
`;
}
