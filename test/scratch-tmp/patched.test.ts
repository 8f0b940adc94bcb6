import './patch.ts';
import '../proxy/hostile-input.test.ts';
