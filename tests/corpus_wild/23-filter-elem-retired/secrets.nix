let
  all = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ8yB47LA7q+zumEKOubKEk+uXxIVQcivz4eQaUexM+S"
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGGNRwMPCXlkmSFH8QY+K1G2psl1qKW51gqp3CI0+AO"
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVzjx2Gdj4Yey4F/dqw1QNZ5ztaHzYoYyJtHZDu6c2X2ysnsdYwiPSu93G9XyNTrbLMQFEqk+5gaOo4ZxGcbSKGjamGakdwcuH3v8Ts5fFkDA4G4QPvVnlnZ8s0Tvvv4JWGwtpLVMdszCUT74KZlQf635at/Uld5ujy3+x+bUpKMpMTM2EBEnRpr6tyxjAdBEcYEFc2cIixXOhPlCGCdji1TWzjzpVARyiZuHHDJ26QuiVhU/fk7puKs68GeEyk6Xt0OlvjLrpoPyEDUAdH8NvfW9AVltXSDLvAuon5KYVlNUi9h4YVVWCn/YTzmOA/IHnHeib5bR82iEZoAfcwWYB"
  ];
  retired = [ "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDVzjx2Gdj4Yey4F/dqw1QNZ5ztaHzYoYyJtHZDu6c2X2ysnsdYwiPSu93G9XyNTrbLMQFEqk+5gaOo4ZxGcbSKGjamGakdwcuH3v8Ts5fFkDA4G4QPvVnlnZ8s0Tvvv4JWGwtpLVMdszCUT74KZlQf635at/Uld5ujy3+x+bUpKMpMTM2EBEnRpr6tyxjAdBEcYEFc2cIixXOhPlCGCdji1TWzjzpVARyiZuHHDJ26QuiVhU/fk7puKs68GeEyk6Xt0OlvjLrpoPyEDUAdH8NvfW9AVltXSDLvAuon5KYVlNUi9h4YVVWCn/YTzmOA/IHnHeib5bR82iEZoAfcwWYB" ];
  current = builtins.filter (key: !(builtins.elem key retired)) all;
in
{
  "current.age".publicKeys = current;
  "legacy-only.age".publicKeys = retired;
}
