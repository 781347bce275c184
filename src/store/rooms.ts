import { Conflict, NotFound } from '../core/errors';

export function roomNotFound(name: string): NotFound {
  return new NotFound(`There is no room named "${name}".`, 'ROOM_NOT_FOUND');
}

export function roomExists(name: string): Conflict {
  return new Conflict(`A room named "${name}" already exists.`, 'ROOM_EXISTS');
}
