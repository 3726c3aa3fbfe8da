export class AblaufError extends Error {}
export class Ablauf {}
