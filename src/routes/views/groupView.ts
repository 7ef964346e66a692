import { atlasInstant } from '../../http/links.js';
import type { GroupWithClusterCount } from '../../store/groups.js';

// Atlas's `Group` body, as recorded (atlas CLI snapshots TestAtlasProjects, 2026-08-10): a single
// project carries seven links and its tags only when it has some; a listed one carries only its
// self link and always its tags.

const RELATED = ['containers', 'clusters', 'databaseUsers', 'peers', 'processes', 'whitelist'];

export function groupView({ group, clusterCount }: GroupWithClusterCount, base: string, form: 'single' | 'listed' = 'single') {
  const self = `${base}/groups/${group.id}`;
  const links = [
    { href: self, rel: 'self' },
    ...(form === 'single' ? RELATED.map((name) => ({ href: `${self}/${name}`, rel: `https://cloud.mongodb.com/${name}` })) : []),
  ];
  return {
    clusterCount,
    created: atlasInstant(group.createdAt),
    id: group.id,
    links,
    name: group.name,
    orgId: group.orgId,
    ...(form === 'listed' || group.tags.length > 0 ? { tags: group.tags } : {}),
    withDefaultAlertsSettings: group.withDefaultAlertsSettings,
  };
}
