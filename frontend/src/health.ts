import type { IngestHealth, JobRun } from "./api/types";

/** The newest run of each job, newest job first. */
export function latestRunPerJob(runs: JobRun[]): JobRun[] {
  const latest = new Map<string, JobRun>();
  for (const run of runs) {
    const seen = latest.get(run.job);
    if (!seen || run.started_at > seen.started_at || (run.started_at === seen.started_at && run.id > seen.id)) {
      latest.set(run.job, run);
    }
  }
  return [...latest.values()].sort((a, b) => b.started_at.localeCompare(a.started_at));
}

/** What the header must flag: jobs whose last run failed, and a stale events poller.
 * "not configured" and "never polled" are shown on the Jobs page but are not failures. */
export function collectorProblems(health: IngestHealth): string[] {
  const problems: string[] = [];
  if (health.poller === "stale") problems.push("events poller is stale");
  for (const run of latestRunPerJob(health.recent_job_runs)) {
    if (run.status === "failed") problems.push(`${run.job} failed`);
  }
  return problems;
}
