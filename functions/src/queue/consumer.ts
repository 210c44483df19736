// PLACEHOLDER created by infra helper: lets `cdk synth` bundle a function before the real handler lands.
export const handler = async (): Promise<never> => {
  throw new Error("not implemented yet: placeholder handler");
};
