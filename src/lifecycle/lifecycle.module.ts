import { Global, Module } from '@nestjs/common';
import { ActingFence } from './acting-fence';
import { ManagerLifecycle } from './manager-lifecycle';

@Global()
@Module({
  providers: [ManagerLifecycle, ActingFence],
  exports: [ManagerLifecycle, ActingFence],
})
export class LifecycleModule {}
