import { UsersService } from '@lmarena-bridge/auth';
import { ConflictException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';

/**
 * Creates the first admin from ADMIN_USERNAME / ADMIN_EMAIL / ADMIN_PASSWORD when no user
 * exists yet (containers, scripted installs). Does nothing once any user exists.
 */
@Injectable()
export class BootstrapAdminService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAdminService.name);

  constructor(private readonly users: UsersService) {}

  async onApplicationBootstrap(): Promise<void> {
    const username = process.env['ADMIN_USERNAME'];
    const email = process.env['ADMIN_EMAIL'];
    const password = process.env['ADMIN_PASSWORD'];
    if (!username || !email || !password) return;
    if ((await this.users.count()) > 0) return;
    try {
      await this.users.create(
        { username, email, password, role: 'admin' },
        { onlyIfNoUsers: true, audit: { actor: { id: null, name: null, ip: null }, via: 'bootstrap' } },
      );
      this.logger.log(`created the bootstrap admin "${username}" from ADMIN_USERNAME`);
    } catch (err) {
      if (err instanceof ConflictException) return; // another instance won the race
      throw err;
    }
  }
}
