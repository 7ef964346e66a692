import type { GroupRecord, GroupStore, GroupTag, GroupWithClusterCount } from '../store/groups.js';
import { UniqueViolationError } from '../store/store.js';
import { booleanAttribute, invalidAttribute } from './attributes.js';
import { always, LOCAL_ADMIN, newEvent, type Actor } from './events.js';
import { DomainError } from './errors.js';
import { newObjectId, OBJECT_ID_PATTERN } from './ids.js';

// Atlas projects (the API says "groups"): what a create or update may say, and the rules a
// project keeps. Names follow Atlas's `Group.name` pattern and are unique in their org (a
// maintainer's answer in mongodbatlas-cloudformation-resources#847).

const GROUP_NAME = /^[\p{L}\p{N}\-_.(),:&@+']{1,64}$/u;
const TAG_KEY = /^[a-zA-Z0-9 @_.+\-:]{1,255}$/;
const MAX_TAGS = 50;

/** The attributes of a project that a create or update may set. */
export interface GroupChanges {
  name?: unknown;
  tags?: unknown;
  withDefaultAlertsSettings?: unknown;
}

export function parseGroupName(name: unknown): string {
  if (name === undefined || name === null) throw new DomainError('MISSING_ATTRIBUTE', 'a project needs a name', ['name']);
  if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
    throw invalidAttribute('name', "a project name has 1 to 64 letters, digits and - _ . ( ) , : & @ + '");
  }
  return name;
}

/** Atlas resource tags: `[{key, value}]`, as both projects and clusters take them. */
export function parseTags(tags: unknown, attribute = 'tags'): GroupTag[] {
  if (tags === undefined || tags === null) return [];
  if (!Array.isArray(tags) || tags.length > MAX_TAGS) throw invalidAttribute(attribute, `${attribute} is a list of at most ${MAX_TAGS} {key, value} objects`);
  return tags.map((tag: unknown) => {
    const { key, value } = (tag ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || !TAG_KEY.test(key) || typeof value !== 'string' || value.length === 0 || value.length > 255) {
      throw invalidAttribute(attribute, `each of ${attribute} has a key and a value of 1 to 255 characters`);
    }
    return { key, value };
  });
}

function nameTaken(name: string): DomainError {
  return new DomainError('GROUP_ALREADY_EXISTS', `a project named ${name} exists in the organization`, [name]);
}

export async function createGroup(groups: GroupStore, orgId: string, changes: GroupChanges, now: Date, by: Actor = LOCAL_ADMIN): Promise<GroupWithClusterCount> {
  const group: GroupRecord = {
    id: newObjectId(now),
    orgId,
    name: parseGroupName(changes.name),
    tags: parseTags(changes.tags),
    withDefaultAlertsSettings: booleanAttribute(changes.withDefaultAlertsSettings, 'withDefaultAlertsSettings', true),
    createdAt: now.toISOString(),
  };
  try {
    await groups.createGroup(group, always(newEvent('GROUP_CREATED', { orgId, groupId: group.id }, by, now)));
  } catch (error) {
    if (error instanceof UniqueViolationError) throw nameTaken(group.name);
    throw error;
  }
  return { group, clusterCount: 0 };
}

/**
 * The project `groupId` as `orgId` may see it. A project of another org answers exactly like one
 * that does not exist, so no caller learns which ids exist elsewhere.
 */
export async function requireGroup(groups: GroupStore, orgId: string, groupId: string, now: Date): Promise<GroupWithClusterCount> {
  if (!OBJECT_ID_PATTERN.test(groupId)) throw new DomainError('INVALID_GROUP_ID', `${groupId} is not a project id`, [groupId]);
  const found = await groups.getGroup(groupId, now.toISOString());
  if (!found || found.group.orgId !== orgId) throw new DomainError('GROUP_NOT_FOUND', `no project with ID ${groupId}`, [groupId]);
  return found;
}

export async function requireGroupByName(groups: GroupStore, orgId: string, name: string, now: Date): Promise<GroupWithClusterCount> {
  const found = await groups.getGroupByName(orgId, name, now.toISOString());
  if (!found) throw new DomainError('GROUP_NAME_NOT_FOUND', `no project named ${name}`, [name]);
  return found;
}

export async function updateGroup(groups: GroupStore, current: GroupWithClusterCount, changes: GroupChanges): Promise<GroupWithClusterCount> {
  const group: GroupRecord = {
    ...current.group,
    ...(changes.name !== undefined ? { name: parseGroupName(changes.name) } : {}),
    ...(changes.tags !== undefined ? { tags: parseTags(changes.tags) } : {}),
    withDefaultAlertsSettings: booleanAttribute(changes.withDefaultAlertsSettings, 'withDefaultAlertsSettings', current.group.withDefaultAlertsSettings),
  };
  try {
    if (!(await groups.updateGroup(group))) throw new DomainError('GROUP_NOT_FOUND', `no project with ID ${group.id}`, [group.id]);
  } catch (error) {
    if (error instanceof UniqueViolationError) throw nameTaken(group.name);
    throw error;
  }
  return { group, clusterCount: current.clusterCount };
}

/** Atlas refuses to close a project while it has clusters; one still DELETING counts until it is gone. */
export async function deleteGroup(groups: GroupStore, group: Pick<GroupRecord, 'id' | 'orgId'>, now: Date, by: Actor = LOCAL_ADMIN): Promise<void> {
  const groupId = group.id;
  const event = newEvent('GROUP_DELETED', { orgId: group.orgId, groupId }, by, now);
  const outcome = await groups.deleteGroup(groupId, now.toISOString(), (result) => ({ events: result === 'DELETED' ? [event] : [] }));
  if (outcome === 'NOT_FOUND') throw new DomainError('GROUP_NOT_FOUND', `no project with ID ${groupId}`, [groupId]);
  if (outcome === 'HAS_CLUSTERS') throw new DomainError('GROUP_HAS_CLUSTERS', `project ${groupId} still has clusters`, [groupId]);
}
