import type { Deadline } from '../shared/deadlines';
import type { CampaignCommand } from './commands';
import type { CampaignState } from './state';

/** Window start → OpenCampaign; window end → CloseCampaign. */
export function campaignDeadlines(state: CampaignState): Deadline<CampaignCommand>[] {
  switch (state.status) {
    case 'not_created':
    case 'closed':
      return [];
    case 'draft':
      return [
        {
          id: 'window-open',
          kind: 'campaign-window-open',
          dueAt: state.submissionWindow.opensAt,
          command: { type: 'OpenCampaign' },
        },
      ];
    case 'open':
      return [
        {
          id: 'window-end',
          kind: 'campaign-window-end',
          dueAt: state.submissionWindow.closesAt,
          command: { type: 'CloseCampaign', reason: 'Fin de la fenêtre de dépôt' },
        },
      ];
    default: {
      const never: never = state;
      return never;
    }
  }
}
