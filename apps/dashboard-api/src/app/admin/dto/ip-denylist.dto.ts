import { MAX_LIMIT_LIST } from '@lmarena-bridge/auth';
import type { IpDenylist } from '@lmarena-bridge/contracts';
import { ApiProperty } from '@nestjs/swagger';
import { IsArray } from 'class-validator';

/**
 * GET and PUT /api/admin/ip-denylist. On PUT each entry is checked and canonicalised by libs/auth
 * (normalizeRanges: a 400 naming the first bad entry, `ranges[3]: …`); the DTO checks the list.
 */
export class IpDenylistDto implements IpDenylist {
  @ApiProperty({
    type: [String],
    maxItems: MAX_LIMIT_LIST,
    example: ['203.0.113.0/24', '2001:db8:bad::/48', '198.51.100.7'],
    description:
      'IPv4/IPv6 addresses or CIDR ranges refused for every token. Stored canonical (host bits cleared, `/32` and `/128` dropped, ' +
      'IPv6 in RFC 5952 form, IPv4-mapped IPv6 as IPv4) and without duplicates, in the order given.',
  })
  @IsArray({ message: 'ranges must be a list of IP addresses or CIDR ranges' })
  ranges!: string[];
}
