// The shapes every alert of the catalogue shares: its definition, the context a stack renders it
// in (which jobs are services, what each service's signals are), and the input series its
// generated promtool tests feed in.
import type { Severity } from "../rule-types";
import type { ResolvedSignals } from "../signals";
import type { DataStoreEngine } from "../../workloads/context";

export interface InputSeries {
  series: string;
  values: string;
}

export interface AlertTestPlan {
  /** Series that put the measured quantity just past the threshold (or the fault present). */
  firing: InputSeries[];
  /** Series that keep it just inside the threshold (or healthy); empty where no such state exists. */
  silent: InputSeries[] | undefined;
  /** Minutes after which the quantity equals its level (rate windows filled, offsets reached). */
  steadyMinutes: number;
  /** Labels the expression yields for these series (besides the rule's own labels). */
  labels: Record<string, string>;
}

export interface AlertContext {
  /** Scrape jobs of the services (their own /metrics). */
  serviceJobs: string[];
  /** Scrape jobs of everything else: Prometheus, Alertmanager, exporters. */
  infraJobs: string[];
  /** What each service job's alerts read (services.<name>.signals, resolved); by job. */
  signals: Record<string, ResolvedSignals>;
  /** Memory limit of each service job, bytes. */
  memoryLimits: Record<string, number>;
  /** Names (the `backup` label) of every configured backup, and of every configured restore drill. */
  backups: string[];
  drills: string[];
  /**
   * The namespace whose objects kube-state-metrics and the kubelet report, when the stack runs on
   * Kubernetes with cluster monitoring (the Kubernetes alerts exist only then).
   */
  kubernetesNamespace?: string;
  /**
   * PostgreSQL data stores that archive WAL with pgBackRest and are watched by the PostgreSQL
   * exporter (`pg_stat_archiver_*`), and the recovery point they declare (backup.pitr.archiveTimeout).
   */
  archiving?: { stores: string[]; rpoSeconds: number };
  /**
   * Engines of the data stores the stack declares and watches with their exporter: the PostgreSQL
   * and Redis alerts exist only for these. Absent (a context made without a stack): every engine.
   */
  watchedEngines?: DataStoreEngine[];
  /** NATS data stores watched by an exporter (the NATS alerts exist only then). */
  natsStores?: string[];
  /** NATS data stores whose /healthz the blackbox exporter probes, job `<store>-healthz` (NatsServerDown reads it). */
  natsHealthProbes?: string[];
  /** The stack's own scheduled jobs and how long after a success the next one is overdue (components/jobs). */
  scheduledJobs?: Array<{ name: string; overdueSeconds: number }>;
  /**
   * The log store, when the stack has one (the log alerts exist only then): the service jobs
   * watched for stopped logs, and the windows of the error-pattern and logs-stopped alerts.
   */
  logs?: { services: string[]; errorWindowSeconds: number; stoppedWindowSeconds: number };
}

export interface AlertDefinition {
  name: string;
  /** Alerts of one family (warning and critical of the same signal) inhibit each other. */
  family?: string;
  /** Rule group (one file per group). */
  group: "services" | "hosts" | "datastores" | "monitoring" | "slo" | "backups" | "kubernetes" | "jobs" | "logs";
  severity: Severity;
  forSeconds: number;
  /** Default threshold in `unit`; absent for alerts that test a state (down, missing). */
  threshold?: number;
  unit?: string;
  /** One rule per returned expression (e.g. one per job); all share the alert name. */
  expr(threshold: number, ctx: AlertContext): string[];
  summary: string;
  description: string;
  /**
   * The section the hand-written runbook had for this alert's family; the generated runbook keeps
   * it as an extra anchor so older links still land, and picks the family's guidance by it. New
   * links use the alert's own section (its name in lower case), so a new alert needs no value here.
   */
  runbook?: string;
  /** The data store engine the alert is about; its runbook section names only that engine's stores. */
  engine?: DataStoreEngine;
  /** One plan per rule the alert renders on this stack (e.g. one per set of services sharing a signal). */
  test(threshold: number, ctx: AlertContext): AlertTestPlan | AlertTestPlan[];
}
