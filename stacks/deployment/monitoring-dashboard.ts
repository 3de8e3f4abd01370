import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard/index.js';
import { Construct } from 'constructs';
import { throwIfViolations } from '../../core/errors.js';
import { buildDashboardBody, type DashboardInput } from '../../core/deployment/dashboard.js';
import { dashboardUrl } from '../../core/deployment/names.js';

/** How many input features get a graph; a wider model shows its first ones (CloudWatch caps a dashboard at 500 widgets). */
export const MAX_FEATURE_WIDGETS = 50;

export interface MonitoringDashboardProps extends DashboardInput {
  readonly dashboardName: string;
}

/** The CloudWatch dashboard of one endpoint: endpoint, model and data rows, plus the rollback alarms. */
export class MonitoringDashboard extends Construct {
  readonly dashboardName: string;
  readonly dashboardUrl: string;
  /** Features left off the dashboard because there were more than MAX_FEATURE_WIDGETS. */
  readonly omittedFeatures: number;

  constructor(scope: Construct, id: string, props: MonitoringDashboardProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(props.dashboardName)) {
      throwIfViolations('MonitoringDashboard', [`dashboardName "${props.dashboardName}" may only have letters, digits, "-" and "_" (1–255)`]);
    }
    const { dashboardName, ...input } = props;
    const features = input.features.slice(0, MAX_FEATURE_WIDGETS);
    this.omittedFeatures = input.features.length - features.length;
    const dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName,
      dashboardBody: JSON.stringify(buildDashboardBody({ ...input, features })),
    });
    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = dashboardUrl(props.region, dashboardName);
  }
}
