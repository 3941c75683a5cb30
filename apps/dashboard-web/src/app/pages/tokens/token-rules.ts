import { Validators } from '@angular/forms';

/** The dashboard API's bound on a token's name. */
export const TOKEN_NAME_MAX = 100;

/** A token name: required, not only blanks, at most TOKEN_NAME_MAX characters. */
export const tokenNameValidators = [Validators.required, Validators.maxLength(TOKEN_NAME_MAX), Validators.pattern(/\S/)];
