import { BatchClient, DescribeJobsCommand, ListJobsCommand, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { GetScheduleCommand, ResourceNotFoundException as ScheduleNotFound, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { ExternalError } from '../../core/errors.js';
import type { TrainingJobStatus } from '../../core/status.js';
import type { AwsContext } from '../effects/aws.js';
import { JOB_STATES, type BatchJobs, type JobLogs, type JobState } from './follow.js';

const failure = (what: string, error: unknown) => new ExternalError(`AWS Batch ${what} failed: ${(error as Error).message}`, { cause: error });

/** The real AWS Batch behind the follower's small interface (thin: no decisions here). */
export function createBatchJobs(aws: AwsContext): BatchJobs {
  const client = aws.client(BatchClient);
  return {
    async submit({ jobName, jobQueue, jobDefinition, command, tags }) {
      try {
        const result = await client.send(
          new SubmitJobCommand({ jobName, jobQueue, jobDefinition, containerOverrides: { command }, tags, propagateTags: true }),
        );
        if (!result.jobId) throw new Error('no job id in the answer');
        return { jobId: result.jobId };
      } catch (error) {
        throw failure(`SubmitJob to queue ${jobQueue}`, error);
      }
    },
    async describe(jobId) {
      let job;
      try {
        job = (await client.send(new DescribeJobsCommand({ jobs: [jobId] }))).jobs?.[0];
      } catch (error) {
        throw failure(`DescribeJobs ${jobId}`, error);
      }
      if (!job) return undefined;
      const state = (JOB_STATES as readonly string[]).includes(job.status ?? '') ? (job.status as JobState) : 'SUBMITTED';
      const latestAttempt = job.attempts?.[job.attempts.length - 1];
      return {
        state,
        jobName: job.jobName ?? jobId,
        jobQueue: job.jobQueue ?? '',
        statusReason: job.statusReason,
        logStreamName: job.container?.logStreamName ?? latestAttempt?.container?.logStreamName,
        exitCode: job.container?.exitCode ?? latestAttempt?.container?.exitCode,
        attempts: job.attempts?.length,
      };
    },
    async terminate(jobId, reason) {
      try {
        await client.send(new TerminateJobCommand({ jobId, reason }));
      } catch (error) {
        throw failure(`TerminateJob ${jobId}`, error);
      }
    },
  };
}

/**
 * The newest job of a queue, whatever its status (a filter makes ListJobs list every status);
 * undefined when the queue has no job or does not exist.
 */
export function lastJobOfQueue(aws: AwsContext): (jobQueue: string) => Promise<TrainingJobStatus | undefined> {
  const client = aws.client(BatchClient);
  return async (jobQueue) => {
    let jobs;
    try {
      jobs = (await client.send(new ListJobsCommand({ jobQueue, filters: [{ name: 'AFTER_CREATED_AT', values: ['0'] }] }))).jobSummaryList ?? [];
    } catch (error) {
      if (/does not exist|not found/i.test((error as Error).message)) return undefined;
      throw failure(`ListJobs of queue ${jobQueue}`, error);
    }
    const newest = jobs.reduce<(typeof jobs)[number] | undefined>((latest, job) => (!latest || (job.createdAt ?? 0) > (latest.createdAt ?? 0) ? job : latest), undefined);
    if (!newest?.jobId) return undefined;
    return {
      id: newest.jobId,
      status: newest.status ?? 'UNKNOWN',
      createdAt: newest.createdAt ? new Date(newest.createdAt).toISOString() : undefined,
      reason: newest.statusReason,
    };
  };
}

/** The real CloudWatch Logs behind the follower's interface: GetLogEvents from the head, by forward token. */
export function createJobLogs(aws: AwsContext): JobLogs {
  const client = aws.client(CloudWatchLogsClient);
  return {
    async read(logGroup, logStream, token) {
      try {
        const result = await client.send(
          new GetLogEventsCommand({ logGroupName: logGroup, logStreamName: logStream, startFromHead: true, nextToken: token }),
        );
        return { lines: (result.events ?? []).map((event) => (event.message ?? '').replace(/\n$/, '')), token: result.nextForwardToken };
      } catch (error) {
        if (error instanceof ResourceNotFoundException) return { lines: [], token };
        throw new ExternalError(`CloudWatch Logs GetLogEvents ${logGroup} ${logStream} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** A retraining schedule as `training-job` reports it. */
export interface ScheduleDescription {
  readonly state: string;
  readonly expression: string;
  readonly createdAt?: Date;
}

export interface RetrainingSchedules {
  /** undefined when there is no schedule of that name. */
  describe(name: string): Promise<ScheduleDescription | undefined>;
}

export function createRetrainingSchedules(aws: AwsContext): RetrainingSchedules {
  const client = aws.client(SchedulerClient);
  return {
    async describe(name) {
      try {
        const schedule = await client.send(new GetScheduleCommand({ Name: name }));
        return { state: schedule.State ?? 'UNKNOWN', expression: schedule.ScheduleExpression ?? '', createdAt: schedule.CreationDate };
      } catch (error) {
        if (error instanceof ScheduleNotFound) return undefined;
        throw new ExternalError(`EventBridge Scheduler GetSchedule ${name} failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
