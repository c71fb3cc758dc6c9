# SecretManagement vault extension for SecretOps. The vault functions arrive with the vault issue;
# until then this nested module exports nothing, so registering SecretOps as a vault is refused.
