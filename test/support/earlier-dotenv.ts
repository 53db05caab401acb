/** The earlier manager's `.env` as deployed (the file the README's configuration keeps working), with keys of its own (SECRET_KEY, DEBUG) it also carried. */
export const EARLIER_DOTENV = `AWS_REGION=ap-south-1
UPSCALE_MARGIN=4
DOWNSCALE_MARGIN=18
SERVER_CAPACITY=10
ECS_INSTANCE_LAUNCH_TEMPLATE=defaultECS
SERVER_TASK_DEFINITION=LaunchGameserver
SLEEP_TIME=0
BACKUP_GAMESERVER=127.0.0.1:8888
SECRET_KEY=django-insecure-0123456789abcdefghijklmnopqrstuvwxyz
DEBUG=True
`;
