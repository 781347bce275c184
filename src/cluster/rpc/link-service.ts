import { makeGenericClientConstructor } from '@grpc/grpc-js';
import type { LinkServiceClient } from '../../../gen/chat/v1/cluster';
import { LinkRequest, LinkResponse, LinkServiceService } from '../../../gen/chat/v1/cluster';
import { encodeWithSharedWriter } from '../../protocol/codec';

/**
 * The link service with the generated codecs, except that messages are
 * encoded with the process's shared writer, whose frames are Buffers already.
 * The generated serializer starts a fresh writer for each message, grows it
 * by copying and copies the result once more into a Buffer; at moderate rates
 * every direct message and every confirmation is a link message of its own.
 */
export const LinkService = {
  link: {
    ...LinkServiceService.link,
    requestSerialize: (value: LinkRequest): Buffer => encodeWithSharedWriter(LinkRequest, value),
    responseSerialize: (value: LinkResponse): Buffer => encodeWithSharedWriter(LinkResponse, value),
  },
} as const;

export const LinkClient = makeGenericClientConstructor(
  LinkService,
  'chat.v1.LinkService',
) as unknown as typeof LinkServiceClient;
