import { Global, Module } from '@nestjs/common';
import { ManagerLifecycle } from './manager-lifecycle';

@Global()
@Module({
  providers: [ManagerLifecycle],
  exports: [ManagerLifecycle],
})
export class LifecycleModule {}
