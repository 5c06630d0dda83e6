package warren.core;
